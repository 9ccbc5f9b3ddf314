import { Check, Column, Entity, PrimaryColumn } from 'typeorm';

/** A calendar exception: a statutory holiday (法定节假日) or a swapped working day (调休). */
@Entity('calendar_days')
@Check('calendar_days_kind_check', `kind IN ('holiday','workday')`)
export class CalendarDayEntity {
  @PrimaryColumn('date', { primaryKeyConstraintName: 'calendar_days_pkey' })
  date: string;

  @Column('text')
  kind: 'holiday' | 'workday';

  @Column('text')
  name: string;
}
