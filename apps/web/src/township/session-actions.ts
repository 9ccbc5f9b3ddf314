/** Signing out of the console: ends the session on the server (its tokens stop working at once), then the login page. */
import { api } from '@shared/api';
import { clearSession, toLogin } from '@shared/session';

export async function logout(): Promise<void> {
  try {
    await api('/auth/logout', { method: 'POST', noRedirect: true });
  } catch {
    /* already ended or offline: forget it here anyway */
  }
  clearSession();
  try { toLogin(); } catch { /* toLogin throws after starting the navigation */ }
}
