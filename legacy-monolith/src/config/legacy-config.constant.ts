/** Injection token of the {@link LegacyConfig} object. */
export const LEGACY_CONFIG = Symbol('LEGACY_CONFIG');
