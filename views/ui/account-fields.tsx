// The fields of the forms that make a login (sign-up, accepting an invite) and use one (log-in):
// one markup, so the browser's password manager and the length rule read the same everywhere.

/** The login email (254 characters at most, the longest address there is). */
export function EmailField({ value }: { value?: string }) {
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
      />
    </label>
  )
}

/** A new password, with its minimum length said beside it. */
export function NewPasswordField({ min }: { min: number }) {
  return (
    <label class="field">
      <span>Password</span>
      <input
        type="password"
        name="password"
        autocomplete="new-password"
        required
        minLength={min}
        aria-describedby="password-hint"
      />
      <small id="password-hint" class="muted">
        At least {min} characters.
      </small>
    </label>
  )
}
