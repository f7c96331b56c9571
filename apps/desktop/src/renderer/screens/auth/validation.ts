import { LIMITS, LoginRequest, RegisterRequest } from '@parley/shared';
import type { TFunction } from 'i18next';

export type AuthField = 'username' | 'password' | 'displayName' | 'deviceName' | 'inviteCode';
export type AuthValues = Record<AuthField, string>;
export type AuthProblems = Partial<Record<AuthField, string>>;

/** Where each field sits in the shared request schemas (and in a server's `details.issues`). */
const FIELD_OF_PATH: Record<string, AuthField> = {
  username: 'username',
  password: 'password',
  displayName: 'displayName',
  'device.name': 'deviceName',
  inviteCode: 'inviteCode',
};

const codePoints = (s: string) => [...s.normalize('NFC').trim()].length;

/** One field's problem in words; the rules are the shared schemas', the wording is ours. */
function describe(field: AuthField, code: string, value: string, t: TFunction): string {
  if ((field === 'password' ? value : value.trim()) === '') return t('auth.problems.required');
  switch (field) {
    case 'username':
      if (code === 'too_small') return t('auth.problems.tooShort', { min: LIMITS.username.min });
      if (code === 'too_big') return t('auth.problems.tooLong', { max: LIMITS.username.max });
      return t('auth.problems.usernameCharacters');
    case 'password':
      if (code === 'too_big') return t('auth.problems.tooLong', { max: LIMITS.password.max });
      return t('auth.problems.tooShort', { min: LIMITS.password.min });
    case 'inviteCode':
      return t('auth.problems.inviteCode');
    default: {
      const max = field === 'displayName' ? LIMITS.displayName.max : LIMITS.deviceName.max;
      return codePoints(value) > max ? t('auth.problems.tooLong', { max }) : t('auth.problems.controlCharacters');
    }
  }
}

/** Problems of field issues (from a schema, or from the server's VALIDATION_FAILED), first per field. */
export function describeIssues(
  issues: readonly { path: string; code: string }[],
  values: Partial<AuthValues>,
  t: TFunction,
): AuthProblems {
  const problems: AuthProblems = {};
  for (const issue of issues) {
    const field = FIELD_OF_PATH[issue.path];
    if (field && !problems[field]) problems[field] = describe(field, issue.code, values[field] ?? '', t);
  }
  return problems;
}

/**
 * Checks the form with the same schemas the server validates the request with; an invite code
 * only when the server asks for one (`needsInvite`), and then it is required.
 */
export function validate(
  mode: 'signIn' | 'register',
  values: AuthValues,
  t: TFunction,
  needsInvite = false,
): AuthProblems {
  const { username, password, displayName } = values;
  const device = { name: values.deviceName };
  const inviteCode = needsInvite ? values.inviteCode : undefined;
  if (needsInvite && mode === 'register' && values.inviteCode.trim() === '') {
    return { ...validate(mode, values, t), inviteCode: t('auth.problems.required') };
  }
  const result =
    mode === 'register'
      ? RegisterRequest.safeParse({ username, password, displayName, device, inviteCode })
      : LoginRequest.safeParse({ username, password, device });
  if (result.success) return {};
  const issues = result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), code: issue.code }));
  return describeIssues(issues, values, t);
}
