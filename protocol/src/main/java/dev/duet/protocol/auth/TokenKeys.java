package dev.duet.protocol.auth;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * The HMAC-SHA256 keys tokens are signed with, by key id. Several keys may be valid at once so keys can rotate: sign
 * with the new key while tokens signed with the old one still verify, then drop the old one.
 */
public final class TokenKeys {
    /** HMAC-SHA256 keys shorter than the hash add no strength and are refused. */
    public static final int MIN_KEY_BYTES = 32;

    private final Map<String, byte[]> keys;
    private final String signingKeyId;

    private TokenKeys(Map<String, byte[]> keys, String signingKeyId) {
        this.keys = keys;
        this.signingKeyId = signingKeyId;
    }

    /** Keys by id; {@code signingKeyId} names the one new tokens are signed with. */
    public static TokenKeys of(Map<String, byte[]> keys, String signingKeyId) {
        Map<String, byte[]> copy = new HashMap<>();
        keys.forEach((id, key) -> {
            if (id.isEmpty() || id.indexOf('.') >= 0) {
                throw new IllegalArgumentException("token key id must be non-empty and without '.': '" + id + "'");
            }
            if (key.length < MIN_KEY_BYTES) {
                throw new IllegalArgumentException("token key '" + id + "' has " + key.length
                        + " bytes; at least " + MIN_KEY_BYTES + " are needed");
            }
            copy.put(id, key.clone());
        });
        if (!copy.containsKey(signingKeyId)) {
            throw new IllegalArgumentException("signing key '" + signingKeyId + "' is not among the keys " + copy.keySet());
        }
        return new TokenKeys(Map.copyOf(copy), signingKeyId);
    }

    public static TokenKeys single(String keyId, byte[] key) {
        return of(Map.of(keyId, key), keyId);
    }

    /**
     * Reads a key file: {@code signing=<keyId>} names the signing key, and every other line {@code <keyId>=<secret>}
     * gives a key as base64url (at least 32 bytes once decoded). Lines starting with {@code #} are comments.
     */
    public static TokenKeys load(Path file) throws IOException {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        }
        String signing = properties.getProperty("signing");
        if (signing == null) {
            throw new IllegalArgumentException(file + ": no 'signing=<keyId>' line");
        }
        Map<String, byte[]> keys = new HashMap<>();
        for (String id : properties.stringPropertyNames()) {
            if (!id.equals("signing")) {
                try {
                    keys.put(id, Base64.getUrlDecoder().decode(properties.getProperty(id).trim()));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(file + ": key '" + id + "' is not base64url", e);
                }
            }
        }
        return of(keys, signing);
    }

    /** Writes a new key file with one random key, readable only by its owner where the file system allows. */
    public static TokenKeys generate(Path file, String keyId) throws IOException {
        byte[] secret = new byte[MIN_KEY_BYTES];
        new SecureRandom().nextBytes(secret);
        String text = "# Duet token keys: signing=<keyId>, then <keyId>=<base64url secret> lines\n"
                + "signing=" + keyId + "\n" + keyId + "=" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret)
                + "\n";
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, text, StandardCharsets.UTF_8);
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException notPosix) {
            // the file system has no POSIX permissions: leave them as they are
        }
        return single(keyId, secret);
    }

    public String signingKeyId() {
        return signingKeyId;
    }

    byte[] signingKey() {
        return keys.get(signingKeyId);
    }

    Optional<byte[]> key(String keyId) {
        return Optional.ofNullable(keys.get(keyId));
    }

    @Override
    public String toString() {
        return "TokenKeys" + Arrays.toString(keys.keySet().toArray()) + " signing with " + signingKeyId;
    }
}
