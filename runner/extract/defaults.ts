/** Defaults of `extract` that its command's help shows without loading the extractor. */
export const DEFAULT_SOURCE_SCHEMA = 'klaviyo_source';
