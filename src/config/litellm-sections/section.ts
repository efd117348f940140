/** One section of LiteLLM's proxy config (see litellm-settings.ts for what each list means). */
export interface SettingsSection {
  /** Where the section sits in the file, as the docs show it. */
  readonly path: string;
  /** A key in neither list stops the start (else: a warning). */
  readonly strict: boolean;
  /** Settings the gateway acts on, with what it does. */
  readonly implemented: Readonly<Record<string, string>>;
  /** Settings accepted with one warning at start. */
  readonly ignored: readonly string[];
  /** Ignored settings some of whose values ask for what the gateway does anyway: no warning for those values. */
  readonly partlyDone?: Readonly<Record<string, PartlyDone>>;
}

export interface PartlyDone {
  /** What the gateway already does, for the docs. */
  readonly does: string;
  /** What of `value` the gateway does not do: undefined when nothing (no warning), '' for all of it, else names. */
  readonly rest: (value: unknown) => string | undefined;
}
