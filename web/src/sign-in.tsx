// The sign-in box for a Floe whose API asks for a token although the page loaded: the token stays in this tab's memory.
import { Alert, Button, PasswordInput, Stack, Title } from '@mantine/core';
import { useState } from 'react';

export function SignIn({ error, onToken }: { error: string; onToken: (token: string | undefined) => void }) {
  const [tokenInput, setTokenInput] = useState('');
  return (
    <Stack p="xl" maw={520} component="main">
      <Title order={1}>Floe</Title>
      <Alert color="red" title="Cannot reach Floe's dashboard API" role="alert">
        {error}
      </Alert>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          onToken(tokenInput || undefined);
        }}
      >
        <Stack>
          <PasswordInput label="Bearer token" description="Kept in this tab's memory only; never written to browser storage." value={tokenInput} onChange={(e) => setTokenInput(e.currentTarget.value)} />
          <Button type="submit">Sign in</Button>
        </Stack>
      </form>
    </Stack>
  );
}
