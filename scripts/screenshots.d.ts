/** The screenshot file names README.md shows under docs/screenshots/. */
export function readmeScreenshots(readme: string): string[];
