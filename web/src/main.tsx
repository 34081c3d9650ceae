// The dashboard's entry: theme, shell and pages.
// Only the component styles the pages use (the whole sheet is 250 KB).
import '@mantine/core/styles/baseline.css';
import '@mantine/core/styles/default-css-variables.css';
import '@mantine/core/styles/global.css';
import '@mantine/core/styles/ScrollArea.css';
import '@mantine/core/styles/UnstyledButton.css';
import '@mantine/core/styles/VisuallyHidden.css';
import '@mantine/core/styles/Paper.css';
import '@mantine/core/styles/Popover.css';
import '@mantine/core/styles/CloseButton.css';
import '@mantine/core/styles/Group.css';
import '@mantine/core/styles/Loader.css';
import '@mantine/core/styles/Overlay.css';
import '@mantine/core/styles/ModalBase.css';
import '@mantine/core/styles/Input.css';
import '@mantine/core/styles/InlineInput.css';
import '@mantine/core/styles/Flex.css';
import '@mantine/core/styles/Stack.css';
import '@mantine/core/styles/SimpleGrid.css';
import '@mantine/core/styles/Combobox.css';
import '@mantine/core/styles/Alert.css';
import '@mantine/core/styles/Anchor.css';
import '@mantine/core/styles/Badge.css';
import '@mantine/core/styles/Button.css';
import '@mantine/core/styles/Code.css';
import '@mantine/core/styles/NumberInput.css';
import '@mantine/core/styles/PasswordInput.css';
import '@mantine/core/styles/Table.css';
import '@mantine/core/styles/Text.css';
import '@mantine/core/styles/Title.css';
import '@mantine/core/styles/SegmentedControl.css';
import '@mantine/core/styles/Checkbox.css';
import './app.css';
import { MantineProvider, createTheme } from '@mantine/core';
import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import { isMultiUser } from './kfp.js';

// Asked once and cached: start it now, beside the first render, so the home page's run list does not wait for it. Before
// sign-in it fails (401) and is asked again by the first KFP call.
isMultiUser().catch(() => undefined);

const theme = createTheme({ primaryColor: 'indigo', primaryShade: 8, defaultRadius: 'sm', fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif' });

/** WCAG AA contrast (axe): Mantine's dimmed grey (#868e96) is too pale on white; gray.7 passes. */
const contrast = () => ({ variables: {}, light: { '--mantine-color-dimmed': 'var(--mantine-color-gray-7)', '--mantine-color-placeholder': 'var(--mantine-color-gray-7)' }, dark: {} });

createRoot(document.getElementById('root')!).render(
  <MantineProvider theme={theme} defaultColorScheme="light" cssVariablesResolver={contrast}>
    <App />
  </MantineProvider>,
);
