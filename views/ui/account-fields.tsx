// The fields of the forms that make a login (sign-up, accepting an invite) and use one (log-in):
// one markup, so the browser's password manager and the length rule read the same everywhere.
// `invalid`: the attributes invalidField (./elements.tsx) gives the field a refused form is about.
import type { invalidField } from './elements.js'

type Invalid = ReturnType<typeof invalidField>

/** The login email (254 characters at most, the longest address there is). */
export function EmailField({ value, invalid }: { value?: string; invalid?: Invalid }) {
  return (
    <label class="field">
      <span>Email</span>
      <input
        type="email"
        name="email"
        autocomplete="username"
        required
        maxLength={254}
        value={value ?? ''}
        {...invalid}
      />
    </label>
  )
}

/** A new password, with its minimum length said beside it (and why it was refused, first). */
export function NewPasswordField({ min, invalid }: { min: number; invalid?: Invalid }) {
  const describedBy = [invalid?.['aria-describedby'], 'password-hint'].filter(Boolean).join(' ')
  return (
    <label class="field">
      <span>Password</span>
      <input
        type="password"
        name="password"
        autocomplete="new-password"
        required
        minLength={min}
        {...invalid}
        aria-describedby={describedBy}
      />
      <small id="password-hint" class="muted">
        At least {min} characters.
      </small>
    </label>
  )
}
