import { createDecipheriv, pbkdf2Sync, scryptSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { BallastError } from "@ballast/core";
import { bytesToHex, concat, type Hex, hexToBytes, keccak256 } from "viem";
import { z } from "zod";

/** A secret the config refers to is not set, or a keystore cannot be read or decrypted. The secret itself is never included. */
export class SecretError extends BallastError {
  override name = "SecretError";
}

/** How the config names a secret: `env:NAME`, or a keystore file whose password is `env:NAME`. */
export type SecretRef = string | { keystore: string; password: string };

const keystoreSchema = z.object({
  version: z.literal(3),
  crypto: z.object({
    cipher: z.literal("aes-128-ctr"),
    ciphertext: z.string(),
    cipherparams: z.object({ iv: z.string() }),
    kdf: z.enum(["scrypt", "pbkdf2"]),
    kdfparams: z.record(z.string(), z.union([z.number(), z.string()])),
    mac: z.string(),
  }),
});

const hexOf = (s: string): Hex => (s.startsWith("0x") ? s : `0x${s}`) as Hex;

function fromEnv(ref: string, env: Record<string, string | undefined>, what: string): string {
  const name = ref.slice("env:".length);
  const value = env[name];
  if (!value)
    throw new SecretError(`${what}: environment variable ${name} is not set.`, { context: { field: what } });
  return value;
}

/** Decrypts a Web3 Secret Storage v3 keystore (scrypt or pbkdf2, aes-128-ctr) and returns the private key. */
export function decryptKeystore(json: string, password: string, file = "keystore"): Hex {
  let parsed: z.infer<typeof keystoreSchema>;
  try {
    parsed = keystoreSchema.parse(JSON.parse(json));
  } catch (e) {
    throw new SecretError(`${file} is not a version-3 keystore (aes-128-ctr, scrypt or pbkdf2).`, {
      cause: e,
    });
  }
  const c = parsed.crypto;
  const p = c.kdfparams;
  const salt = Buffer.from(hexToBytes(hexOf(String(p.salt))));
  const dklen = Number(p.dklen ?? 32);
  const pw = Buffer.from(password.normalize("NFKC"), "utf8");
  const key =
    c.kdf === "scrypt"
      ? scryptSync(pw, salt, dklen, {
          N: Number(p.n),
          r: Number(p.r),
          p: Number(p.p),
          maxmem: 512 * 1024 * 1024,
        })
      : pbkdf2Sync(pw, salt, Number(p.c), dklen, String(p.prf ?? "hmac-sha256").replace("hmac-", ""));
  const ciphertext = hexToBytes(hexOf(c.ciphertext));
  const mac = keccak256(concat([bytesToHex(key.subarray(16, 32)), bytesToHex(ciphertext)]));
  if (mac.slice(2).toLowerCase() !== c.mac.replace(/^0x/, "").toLowerCase())
    throw new SecretError(`Wrong password for ${file} (MAC mismatch).`);
  const decipher = createDecipheriv("aes-128-ctr", key.subarray(0, 16), hexToBytes(hexOf(c.cipherparams.iv)));
  const pk = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  return bytesToHex(pk);
}

/** Resolves a secret reference to its value; the error names the variable or file, never the value. */
export function resolveSecret(ref: SecretRef, env: Record<string, string | undefined>, what: string): string {
  if (typeof ref === "string") return fromEnv(ref, env, what);
  const password = fromEnv(ref.password, env, `${what} keystore password`);
  let json: string;
  try {
    json = readFileSync(ref.keystore, "utf8");
  } catch (e) {
    throw new SecretError(`${what}: cannot read keystore ${ref.keystore}.`, { cause: e });
  }
  return decryptKeystore(json, password, ref.keystore);
}

/** Resolves a private key reference and checks its shape (32 bytes hex). */
export function resolvePrivateKey(
  ref: SecretRef,
  env: Record<string, string | undefined>,
  what: string,
): Hex {
  const v = resolveSecret(ref, env, what).trim();
  const hex = hexOf(v);
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex))
    throw new SecretError(`${what}: not a 32-byte hex private key.`, { context: { field: what } });
  return hex;
}
