/**
 * The `resnet-workbench` commands (and commander's `help`). The desktop app runs its command line
 * when its first argument is one of these (electron-main/launchMode.ts), so that the installed app's
 * binary is the command too; test/node/cli/main.test.ts checks the list against the program.
 */
export const CLI_COMMAND_NAMES = ['info', 'scan', 'train', 'predict', 'export', 'weights', 'job', 'serve', 'demo', 'help'] as const;
