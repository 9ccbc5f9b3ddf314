/**
 * What the living demo writes: categories weighted the way a county's grids report them, Chinese descriptions and
 * addresses from templates, and the notes handlers and dispatchers leave. Data, not logic; the weights are shares of a
 * typical 141 county's reports (环境卫生/市容 first, then 矛盾纠纷, 公共设施, 安全隐患…), not an official statistic.
 *
 * Placeholders: {place} a landmark of the village, {road} a road, {no} a house number, {n} a small count, {name} a
 * masked person (王某), {shop} a kind of shop. Every category code here must exist in data/categories.json.
 */
export interface CategoryTemplate {
  code: string;
  /** Relative share of reports. */
  weight: number;
  texts: readonly string[];
}

export const CATEGORY_TEMPLATES: readonly CategoryTemplate[] = [
  // 环境卫生/市容秩序
  { code: '0901', weight: 6, texts: ['{place}旁垃圾桶外散落生活垃圾约{n}袋，有异味，需及时清运', '{road}{no}号门口绿化带内有暴露垃圾，影响环境卫生',
    '{place}附近竹林边有人随意丢弃生活垃圾，已堆积成片'] },
  { code: '0902', weight: 3, texts: ['{road}路边堆放装修垃圾和渣土约{n}方，占用人行道', '{place}后侧空地积存建筑渣土，长期无人清理'] },
  { code: '0903', weight: 5, texts: ['{place}垃圾收集点{n}个垃圾桶已满溢，垃圾散落地面', '{road}{no}号对面垃圾桶满溢，周边有蚊蝇'] },
  { code: '0904', weight: 2, texts: ['{place}分类垃圾桶混投严重，厨余垃圾投入其他垃圾桶', '{road}沿街商铺未落实垃圾分类，可回收物与厨余混放'] },
  { code: '0905', weight: 4, texts: ['{road}{no}号{shop}店外占道经营，摆放桌椅占用人行道', '{place}门口有流动摊贩占道卖白茶、笋干，影响通行',
    '早市摊位超出划定区域，{road}路口占道经营'] },
  { code: '0906', weight: 1.5, texts: ['{road}电线杆及墙面张贴小广告{n}处', '{place}附近私设落地广告牌，未经审批'] },
  { code: '0907', weight: 2, texts: ['{road}{no}号楼道内堆放杂物，影响通行', '{place}旁空地乱堆竹制品边角料和废旧家具'] },
  { code: '0908', weight: 0.5, texts: ['{road}{no}号沿街商户私搭遮阳棚', '{place}附近沿街晾晒衣物，影响市容'] },
  // 公共设施
  { code: '1301', weight: 2.5, texts: ['{road}{no}号门前井盖破损下陷，存在安全隐患', '{place}附近窨井盖缺失，已临时用石块遮挡'] },
  { code: '1302', weight: 3, texts: ['{road}路段{n}盏路灯不亮，夜间行人出行不便', '{place}旁路灯杆倾斜，灯头松动'] },
  { code: '1303', weight: 3, texts: ['{road}路面出现坑洼约{n}平方米，雨天积水', '{place}通往村道的水泥路面开裂破损'] },
  { code: '1304', weight: 1, texts: ['{road}{no}号附近自来水管破裂漏水', '{place}一带停电已超过{n}小时，居民反映强烈'] },
  { code: '1305', weight: 0.5, texts: ['{place}健身器材螺丝松动，存在安全隐患', '{place}休闲长椅损坏{n}张'] },
  // 道路交通安全
  { code: '0703', weight: 4, texts: ['{road}{no}号门口机动车乱停放，堵塞消防通道', '{place}路口电动车、三轮车乱停乱放，影响通行',
    '{road}人行道上停放{n}辆机动车'] },
  { code: '0702', weight: 1.5, texts: ['{road}路口交通标志牌被撞倒', '{place}附近减速带损坏脱落'] },
  { code: '0701', weight: 1.5, texts: ['{road}弯道处视线被竹林遮挡，存在交通安全隐患', '{place}路口缺少警示标志，车辆车速较快'] },
  // 消防安全
  { code: '0501', weight: 2.5, texts: ['{place}消防通道被杂物和车辆占用', '{road}{no}号小区消防通道停放车辆，无法通行'] },
  { code: '0502', weight: 3, texts: ['{road}{no}号楼道内有电动车飞线充电', '{place}出租房内电动车停放充电，存在火灾隐患',
    '{road}{no}号一楼电动车进楼入户充电'] },
  { code: '0503', weight: 1, texts: ['{place}消防栓漏水，阀门损坏', '{road}{no}号楼道灭火器过期{n}具'] },
  { code: '0504', weight: 0.5, texts: ['{place}附近竹制品加工厂内刨花堆放杂乱，存在火灾隐患', '{road}{no}号民宿厨房燃气管老化'] },
  { code: '0505', weight: 0.15, texts: ['{road}{no}号附近有浓烟冒出，疑似起火，请立即处置'] },
  // 安全生产
  { code: '0401', weight: 1.5, texts: ['{place}附近竹木加工企业电线私拉乱接', '{road}{no}号企业车间安全通道堵塞'] },
  { code: '0403', weight: 0.5, texts: ['{road}{no}号存在生产、仓储、住宿“三合一”情况'] },
  { code: '0404', weight: 1.5, texts: ['{road}{no}号出租房未配备灭火器，租住{n}户', '{place}附近群租房安全出口被封堵'] },
  { code: '0405', weight: 1.5, texts: ['{road}建筑工地未设置安全围挡', '{place}附近工地高处作业人员未系安全带'] },
  { code: '0406', weight: 1, texts: ['{road}{no}号{shop}店燃气瓶与灶具距离过近，未装报警器', '{place}农家乐厨房液化气瓶存放不规范'] },
  // 矛盾纠纷
  { code: '0102', weight: 5, texts: ['{name}与邻居因房屋滴水问题发生争执，需调解', '{road}{no}号两户因宅前道路通行产生纠纷',
    '{place}附近村民因竹林边界问题与邻居发生口角'] },
  { code: '0101', weight: 2, texts: ['{name}夫妻因家庭琐事多次争吵，邻居反映', '{name}家中因老人赡养问题兄弟之间发生纠纷'] },
  { code: '0103', weight: 2.5, texts: ['{name}与同村村民因山林界址不清发生纠纷', '两户村民因宅基地边界问题争执，需现场勘界'] },
  { code: '0104', weight: 2, texts: ['{n}名务工人员反映{place}附近工地拖欠工资', '{name}反映竹制品厂拖欠其{n}个月工资'] },
  { code: '0105', weight: 1.5, texts: ['{place}小区业主反映物业公司服务不到位，要求更换物业', '{road}{no}号小区电梯长期故障，业主与物业产生矛盾'] },
  { code: '0109', weight: 1, texts: ['{name}反映民宿装修款被拖欠，双方协商未果'] },
  // 生态环境
  { code: '0802', weight: 2, texts: ['{place}附近河道漂浮垃圾较多', '西苕溪支流{place}段水面有漂浮物和死鱼'] },
  { code: '0803', weight: 1.5, texts: ['{place}附近有人焚烧秸秆和竹枝，烟雾较大', '{road}{no}号后院露天焚烧垃圾'] },
  { code: '0801', weight: 1, texts: ['{road}{no}号{shop}店污水直排雨水管网', '{place}附近沟渠有黑臭污水流出'] },
  { code: '0804', weight: 0.8, texts: ['{road}渣土车未覆盖，沿路扬尘严重', '{place}附近工地未采取降尘措施'] },
  { code: '0805', weight: 0.7, texts: ['{road}{no}号夜间施工噪声扰民', '{place}广场舞音响音量过大，居民反映'] },
  // 违法建设/国土
  { code: '1001', weight: 2, texts: ['{road}{no}号屋顶正在搭建违章建筑', '{place}附近有人私自扩建附房'] },
  { code: '1003', weight: 1, texts: ['{name}未批先建，新建房屋已砌至{n}层'] },
  { code: '1002', weight: 1, texts: ['{place}附近耕地上堆放建材、硬化地面，疑似耕地“非农化”'] },
  // 民生服务
  { code: '1402', weight: 2, texts: ['{place}附近独居老人{name}近{n}天未见出门，需上门查看', '{road}{no}号高龄独居老人需要助餐服务'] },
  { code: '1401', weight: 1.5, texts: ['{name}家庭因病致贫，申请临时救助', '{road}{no}号困难家庭房屋漏雨，需帮扶'] },
  { code: '1408', weight: 1.5, texts: ['村民咨询城乡居民医保缴费事宜', '{name}咨询老年人优待证办理流程'] },
  { code: '1404', weight: 1, texts: ['{name}反映养老保险待遇未按时发放', '{name}咨询灵活就业人员社保缴纳'] },
  // 社会治安
  { code: '0201', weight: 1.5, texts: ['{place}附近监控损坏，夜间照明不足，存在治安隐患', '{road}{no}号出租房人员进出频繁，未登记'] },
  { code: '0204', weight: 1, texts: ['{name}反映接到冒充客服电话，疑似电信诈骗', '村民反映有人在{place}附近推销“高收益理财”'] },
  { code: '0207', weight: 1, texts: ['{place}附近学校周边上下学时段车辆拥堵', '学校门口有流动摊贩售卖“三无”食品'] },
  // 市场监管 / 食品药品安全
  { code: '1101', weight: 1, texts: ['{road}{no}号{shop}店无营业执照经营'] },
  { code: '1105', weight: 1, texts: ['{name}反映在{place}附近超市购买商品存在质量问题，商家拒绝退换'] },
  { code: '1201', weight: 1, texts: ['{road}{no}号小餐饮店卫生条件差，后厨无防蝇设施'] },
  { code: '1203', weight: 1, texts: ['{name}家举办农村家宴约{n}桌，需备案并现场指导'] },
  // 特殊人群/重点人员
  { code: '0307', weight: 1, texts: ['走访中发现重点人员{name}近期情绪异常，需关注'] },
  { code: '0303', weight: 1, texts: ['{name}家属反映其近期未按时服药，需社区关注'] },
  // 防汛防台/自然灾害
  { code: '0603', weight: 1, texts: ['{road}低洼路段积水约{n}0厘米，车辆通行困难', '{place}附近排水沟堵塞，雨后积水'] },
  { code: '0601', weight: 0.5, texts: ['{place}后山坡体出现裂缝，有滑坡风险'] },
  { code: '0605', weight: 0.08, texts: ['{place}后山竹林有明火和浓烟，疑似森林火情'] },
  // 党群工作
  { code: '1502', weight: 1, texts: ['村民建议在{place}增设公交站点', '居民建议{place}附近增设停车位'] },
];

/** Roads seen in 安吉 towns, and generic village roads. */
export const ROADS: readonly string[] = ['昌硕路', '天目路', '胜利路', '浦源大道', '灵芝路', '玉磬路', '阳光大道', '递铺路', '云鸿路', '鹤鹿溪路',
  '安吉大道', '竹乡路', '凤凰路', '金山路', '中南路', '康山路', '环城北路', '孝丰大道', '白茶街', '村中路', '溪边路', '竹园路'];
export const LANDMARKS: readonly string[] = ['村委会', '文化礼堂', '农贸市场', '公交站', '便民服务中心', '老年活动中心', '小学', '卫生室', '停车场',
  '篮球场', '桥头', '祠堂', '竹林', '白茶园', '民宿集中区', '溪边步道'];
export const SHOPS: readonly string[] = ['餐饮', '早餐', '水果', '五金', '理发', '小超市', '白茶', '农家乐', '汽修'];
export const SURNAMES: readonly string[] = ['王', '李', '张', '陈', '刘', '吴', '周', '徐', '孙', '朱', '胡', '沈', '潘', '钱', '汪'];

/** What a handler writes when feeding back (反馈), by the 2021 platform of the category. */
export const FEEDBACK_NOTES: Record<string, readonly string[]> = {
  ZZ: ['已联系双方当事人现场调解，双方达成一致意见', '已上门走访核实，情况已妥善处理', '已与相关人员谈话，落实后续关注措施'],
  JG: ['执法队员已到场，责令当事人立即整改，现已整改完毕', '已清理完毕并拍照留存', '已约谈当事人，限期整改，复查已整改到位'],
  YJ: ['已现场排查，隐患已整改消除', '已督促责任人落实整改，现场已恢复安全', '已设置警示标志并完成处置'],
  GF: ['已联系相关单位修复完毕', '已上门服务，问题已解决', '已协调落实帮扶措施'],
  DZ: ['已收集整理意见，转相关部门研究', '已上门回应群众诉求'],
};
export const VERIFY_PASS_NOTES: readonly string[] = ['经网格员现场核查，已处置到位', '复核属实，同意结案', '回访群众表示满意'];
export const VERIFY_FAIL_NOTES: readonly string[] = ['现场核查未整改到位，请继续处置', '群众反映问题仍存在，退回重办'];
export const REJECT_REASONS: readonly string[] = ['经核实，情况不属实', '重复上报，已有同类事件在办', '不属于网格事件受理范围，已告知当事人'];
export const RETURN_REASONS: readonly string[] = ['不属于本平台职责范围，请重新派遣', '经现场查看，需执法中队牵头处置'];
export const ESCALATE_REASONS: readonly string[] = ['涉及多个部门，超出乡镇处置权限，提请县级协调', '矛盾较为复杂，需县级部门联合调处'];
export const MERGE_NOTES: readonly string[] = ['与已受理事件为同一问题，合并办理'];
