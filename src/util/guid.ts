// Entra tenant, application and object ids (any case: Entra answers in lower case, people paste upper).
export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
