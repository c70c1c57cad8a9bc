import { newCryptCipher } from "./crypt_cipher.ts";
import { UndecryptableNameError } from "./name_cipher.ts";
import { InvalidError } from "../../errors.ts";
import { assertEquals, assertRejects } from "./_test_util.ts";

// Outputs of `rclone backend encode` (rclone 1.60.1) for password "potato" and password2
// "sausage" (both obscured in the config), one list per filename_encoding.
const NAMES = ["hello", "a/b/ünïcode ☃ file.txt", "x-v2020-01-31-120000-000.txt"];
const RCLONE: Record<string, string[]> = {
  base32: [
    "guosr7itbv0i7mi81jit34mk88",
    "0pafnuo05kiri5rkftm2fsb7b4/5ighlij0huvuotkhqd4dde0qig/jtvseqdef16jv48ap4n15ueqhfopsblftddmjj2f34p45psoejr0",
    "5pti5aqtrsvoqpdtugr6n4ra98-v2020-01-31-120000-000",
  ],
  base64: [
    "h7HNnl1fwSPaSAzl0ZLUQg",
    "BlT7-wAtJbkXdH9sJ_FnWQ/LKEaymCPv-x2kdNI1rgalA/n3_Haa54TT-RCskuEvnai_GeLq_rW2nMTxkyQueYdPY",
    "Lnsiq13fP41lvfQ2a5NqSg-v2020-01-31-120000-000",
  ],
  base32768: [
    "樸駇爋ꊲ䔒䙳爃㤔䞿",
    "ᒪ敞虥碻漛硝纯韇卟/㲐洒牱ꊞ訔涭㟭幺烟/瘟頺尯ᙓꌨ冄芅ꁺ汘跫籝尖瓂拄諥跸惛ɟ",
    "㵽漊鈛驘醍鸰錷㦪䮿-v2020-01-31-120000-000",
  ],
};

for (const [encoding, want] of Object.entries(RCLONE)) {
  Deno.test(`NameCipher standard/${encoding} matches rclone and decrypts back`, async () => {
    const c = await newCryptCipher({
      password: "potato",
      password2: "sausage",
      filenameEncoding: encoding,
    });
    NAMES.forEach((name, i) => {
      assertEquals(c.names.encryptFileName(name), want[i], name);
      assertEquals(c.names.decryptFileName(want[i]!), name, name);
      assertEquals(c.names.encryptDirName(name), want[i], name);
    });
  });
}

Deno.test("NameCipher with directory_name_encryption=false encrypts only the leaf", async () => {
  // rclone 1.60.1, password "potato", no password2, directory_name_encryption = false.
  const c = await newCryptCipher({ password: "potato", directoryNameEncryption: false });
  assertEquals(c.names.encryptFileName("dir/sub/file.txt"), "dir/sub/dliujkifo15pa0t31sl422pt6k");
  assertEquals(c.names.encryptDirName("dir/sub"), "dir/sub");
  assertEquals(c.names.decryptFileName("dir/sub/dliujkifo15pa0t31sl422pt6k"), "dir/sub/file.txt");
});

Deno.test("NameCipher obfuscate matches rclone and decrypts back", async () => {
  // rclone 1.60.1, password "potato", filename_encryption = obfuscate.
  const c = await newCryptCipher({ password: "potato", filenameEncryption: "obfuscate" });
  assertEquals(c.names.encryptFileName("hello"), "20.zwDDG");
  assertEquals(c.names.encryptFileName("Ab!9 ü☃ xyz.txt"), "53.Bc!!5 Ï☋ yzA.uyu");
  assertEquals(c.names.decryptFileName("53.Bc!!5 Ï☋ yzA.uyu"), "Ab!9 ü☃ xyz.txt");
});

Deno.test("NameCipher off mode adds and requires the suffix", async () => {
  const c = await newCryptCipher({ password: "p", filenameEncryption: "off" });
  assertEquals(c.names.encryptFileName("dir/sub/file.txt"), "dir/sub/file.txt.bin");
  assertEquals(c.names.encryptDirName("dir/sub"), "dir/sub");
  assertEquals(c.names.decryptFileName("dir/file.txt.bin"), "dir/file.txt");
  await assertRejects(() => c.names.decryptFileName("file.txt"), UndecryptableNameError);
  await assertRejects(() => c.names.decryptFileName(".bin"), UndecryptableNameError);
  const custom = await newCryptCipher({ password: "p", filenameEncryption: "off", suffix: ".x" });
  assertEquals(custom.names.encryptFileName("f"), "f.x");
  const none = await newCryptCipher({ password: "p", filenameEncryption: "off", suffix: "none" });
  assertEquals(none.names.encryptFileName("f"), "f");
  assertEquals(none.names.decryptFileName("f"), "f");
});

Deno.test("NameCipher round-trips awkward names in every mode and encoding", async () => {
  const names = [
    "x",
    "with space",
    "ünïcödé-日本語-Ελληνικά.txt",
    "emoji-😀",
    "!bang!!",
    "0123456789",
    "a".repeat(255),
    "trailing.dot.",
    ".hidden",
  ];
  for (const mode of ["standard", "obfuscate"]) {
    for (const enc of ["base32", "base64", "base32768"]) {
      const c = await newCryptCipher({
        password: "pw",
        filenameEncryption: mode,
        filenameEncoding: enc,
      });
      for (const n of names) {
        const path = `${n}/${n}`;
        const e = c.names.encryptFileName(path);
        if (mode === "standard" && n.length >= 8) {
          assertEquals(e.includes(n), false, `${mode}/${enc} ${n} is hidden`);
        }
        assertEquals(c.names.decryptFileName(e), path, `${mode}/${enc} ${n}`);
        assertEquals(c.names.decryptDirName(c.names.encryptDirName(path)), path);
      }
    }
  }
});

Deno.test("NameCipher rejects names that are not encrypted with its key", async () => {
  const c = await newCryptCipher({ password: "pw" });
  const other = await newCryptCipher({ password: "other" });
  await assertRejects(() => c.names.decryptFileName("plain name.txt"), UndecryptableNameError);
  await assertRejects(() => c.names.decryptFileName("abcdefgh"), UndecryptableNameError);
  // A valid encryption under another key decrypts to bad padding (almost surely).
  await assertRejects(
    () => c.names.decryptFileName(other.names.encryptFileName("secret.txt")),
    UndecryptableNameError,
  );
  const obf = await newCryptCipher({ password: "pw", filenameEncryption: "obfuscate" });
  await assertRejects(() => obf.names.decryptFileName("nodot"), UndecryptableNameError);
  await assertRejects(() => obf.names.decryptFileName("x1.abc"), UndecryptableNameError);
});

Deno.test("NameCipher refuses a segment too long for EME", async () => {
  const c = await newCryptCipher({ password: "pw" });
  const err = await assertRejects(
    () => c.names.encryptFileName("x".repeat(2100)),
    InvalidError,
    "too long",
  );
  assertEquals(err.errno, 36);
});
