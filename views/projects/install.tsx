// The install snippet of a project page: the seeds' SDK code and a curl, with this project's key
// (only right after creation or rotation; a placeholder otherwise) and this server's URL filled in.
// The SDK installs from this server (the packed SDK of its own version; see scripts/pack-sdk.mjs).
import type { ComponentChildren } from 'preact'

export function CopyButton({ target }: { target: string }) {
  return (
    <button
      type="button"
      class="button button-secondary button-small copy-button"
      data-copy={target}
      hidden
    >
      Copy
    </button>
  )
}

function CodeBlock({
  id,
  label,
  children,
}: {
  id: string
  label: string
  children: ComponentChildren
}) {
  return (
    <figure class="code-block">
      <figcaption>
        <span>{label}</span>
        <CopyButton target={id} />
      </figcaption>
      {/* Focusable: a snippet wider than the screen scrolls, with the keyboard too. */}
      <pre tabIndex={0}>
        <code id={id}>{children}</code>
      </pre>
    </figure>
  )
}

export const KEY_PLACEHOLDER = 'tcrm_proj_YOUR_KEY'

/** The seeds' identify code with this project's key (when just shown) and this server's URL. */
export function InstallSnippet({ apiKey, baseUrl }: { apiKey?: string; baseUrl: string }) {
  const key = apiKey ?? KEY_PLACEHOLDER
  const js = `import { TinyCRM } from 'tinycrm-sdk'

const crm = new TinyCRM({
  apiKey: process.env.TINYCRM_API_KEY,
  baseUrl: '${baseUrl}',
})

// When a user signs up, logs in or changes plan:
await crm.identify({
  email: user.email,
  name: user.name,
  status: 'paid', // free | trial | paid | churned
  params: { plan: 'pro', mrr: 29 },
})`
  const curl = `curl -X POST ${baseUrl}/v1/identify \\
  -H 'Authorization: Bearer ${key}' \\
  -H 'Content-Type: application/json' \\
  -d '{"email":"alex@example.com","name":"Alex Chen","status":"paid","params":{"plan":"pro","mrr":29}}'`
  return (
    <section class="card install" aria-labelledby="install-title">
      <h2 id="install-title">Install</h2>
      {apiKey ? null : (
        <p class="muted small">
          The full key is shown only when it is created: replace <code>{KEY_PLACEHOLDER}</code> with
          yours, or rotate to get a new one.
        </p>
      )}
      <CodeBlock id="snippet-install" label="1. Add the SDK to this product's backend">
        {`npm install ${baseUrl}/sdk/tinycrm-sdk.tgz`}
      </CodeBlock>
      <CodeBlock id="snippet-env" label="2. Put the key in its environment (.env)">
        {`TINYCRM_API_KEY=${key}`}
      </CodeBlock>
      <CodeBlock id="snippet-js" label="3. Identify your users">
        {js}
      </CodeBlock>
      <CodeBlock id="snippet-curl" label="Or from any language, over HTTP">
        {curl}
      </CodeBlock>
    </section>
  )
}
