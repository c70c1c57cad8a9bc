/**
 * @module
 * The public surface of the crypt backend. Importing it registers the `crypt` backend type
 * (as `lib/backends/all.ts` does); the cipher parts are exported for tools and tests that
 * encrypt names or data without a backend.
 */

export { createCryptBackend, validateCryptOptions } from "./crypt.ts";
export { joinRemotePath } from "../_join_remote_path.ts";
export { CryptBackend, type CryptBackendOptions } from "./crypt_backend.ts";
export { type CryptCipher, type CryptCipherSettings, newCryptCipher } from "./crypt_cipher.ts";
export { CRYPT_OPTIONS } from "./crypt_options.ts";
export { CryptDataError } from "./data_cipher.ts";
export { decryptedSize, encryptedSize } from "./data_format.ts";
export { NameCipher, type NameEncryptionMode, UndecryptableNameError } from "./name_cipher.ts";
