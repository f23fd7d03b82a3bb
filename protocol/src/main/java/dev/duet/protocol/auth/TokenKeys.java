package dev.duet.protocol.auth;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

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
