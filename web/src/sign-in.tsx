// The sign-in box for a token-protected Floe: the token is exchanged once for an HttpOnly session cookie and forgotten.
import { Alert, Button, PasswordInput, Stack, Title } from '@mantine/core';
import { useState } from 'react';
import { sessionPath, setCsrfToken } from './api.js';

/**
 * POSTs the token in `Authorization` to the session route, so Floe checks it exactly as it checks any request; the
 * answer sets the session cookie (which the page cannot read) and returns the CSRF token, kept in memory only.
 */
async function signIn(token: string): Promise<void> {
  const res = await fetch(sessionPath, { method: 'POST', headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' }, credentials: 'same-origin' });
  if (res.status === 401) throw new Error('Floe does not know that token.');
  if (!res.ok) throw new Error(`Signing in failed: ${res.status} ${await res.text()}`);
  setCsrfToken(((await res.json()) as { csrfToken: string }).csrfToken);
}

export function SignIn({ error, onSignedIn }: { error: string; onSignedIn: () => void }) {
  const [tokenInput, setTokenInput] = useState('');
  const [failure, setFailure] = useState<string>();
  const [busy, setBusy] = useState(false);
  const signedOut = error === 'Signed out.';
  // A Floe asking for a token is the normal first visit, not an error; anything else (Floe unreachable) is.
  const tone = signedOut || error === 'Floe asks for a token.' ? 'blue' : 'red';
  return (
    <Stack p="xl" maw={520} component="main">
      <Title order={1}>Floe</Title>
      <Alert color={tone} title={signedOut ? 'Signed out' : 'Sign in to Floe'} role={tone === 'blue' ? 'status' : 'alert'}>
        {signedOut ? 'Your session has ended. Sign in again with a token.' : error}
      </Alert>
      <form
        aria-label="Sign in"
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          setFailure(undefined);
          signIn(tokenInput.trim())
            .then(() => {
              setTokenInput('');
              onSignedIn();
            })
            .catch((err: unknown) => setFailure(err instanceof Error ? err.message : String(err)))
            .finally(() => setBusy(false));
        }}
      >
        <Stack>
          <PasswordInput
            label="Bearer token"
            description="Sent once to Floe, which answers with a session cookie this page cannot read; the token is never written to browser storage."
            value={tokenInput}
            onChange={(e) => setTokenInput(e.currentTarget.value)}
            error={failure}
            autoComplete="off"
            required
          />
          <Button type="submit" loading={busy}>
            Sign in
          </Button>
        </Stack>
      </form>
    </Stack>
  );
}
