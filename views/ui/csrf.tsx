// The hidden CSRF field every dashboard form posts (checked by src/auth/csrf.ts).
export function CsrfField({ token }: { token: string | undefined }) {
  return <input type="hidden" name="_csrf" value={token ?? ''} />
}
