/** Injection token of the validated `CardsServiceConfig`. */
export const CARDS_SERVICE_CONFIG = Symbol('CARDS_SERVICE_CONFIG');
