/** Light, dark, or whatever the system prefers; remembered in this browser. */
export type ThemeChoice = 'system' | 'light' | 'dark';
export const THEMES: readonly ThemeChoice[] = ['system', 'light', 'dark'];
const THEME_KEY = 'mesh-rooms.theme';

function saved(): ThemeChoice {
  const value = typeof localStorage === 'undefined' ? null : localStorage.getItem(THEME_KEY);
  return THEMES.includes(value as ThemeChoice) ? (value as ThemeChoice) : 'system';
}

class Theme {
  choice = $state<ThemeChoice>(saved());

  set(choice: ThemeChoice): void {
    this.choice = choice;
    localStorage.setItem(THEME_KEY, choice);
  }
}

export const theme = new Theme();
