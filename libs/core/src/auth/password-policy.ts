/**
 * Password rules for a chosen password (OWASP ASVS 5.0 V6.2): at least 12 characters, up to 128, any characters
 * allowed (no composition rules), not the username, and not a common or published password. Returns why a password is
 * refused, or null when it is acceptable.
 */
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;

// the most common passwords (global and Chinese lists) that meet the length rule, plus this project's published ones
const COMMON = new Set([
  '123456789012', '1234567890123', '12345678910', '123456123456', '123123123123', '111111111111', '000000000000', '888888888888',
  '666666666666', '520520520520', '5201314520', '1314520520', 'woaini1314520', 'woaini123456', 'qwertyuiop12', 'qwertyuiop123',
  '1qaz2wsx3edc', '1q2w3e4r5t6y', 'q1w2e3r4t5y6', 'zaq12wsxcde3', 'asdfghjkl123', 'password1234', 'password123!', 'passw0rd1234',
  'p@ssw0rd1234', 'administrator', 'admin1234567', 'admin@123456', 'iloveyou1234', 'abcd12345678', 'abc123456789', 'aa1234567890',
  'aa123456789.', 'a12345678910', 'qq1234567890', 'grid141!demo', 'grid141demo!', 'changeme1234', 'welcome12345', 'letmein12345',
]);

export function passwordPolicyProblem(password: string, username: string): string | null {
  const chars = [...password];
  if (chars.length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters long`;
  if (chars.length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters long`;
  if (password.trim().length === 0) return 'must not be only whitespace';
  const lower = password.toLowerCase();
  if (username.length >= 3 && lower.includes(username.toLowerCase())) return 'must not contain the username';
  if (COMMON.has(lower)) return 'is a common or published password';
  if (new Set(chars).size < 5) return 'has too few distinct characters';
  return null;
}
