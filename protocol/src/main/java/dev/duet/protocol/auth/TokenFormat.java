package dev.duet.protocol.auth;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;
import java.util.Base64;

/**
 * A token is {@code base64url(claims) "." base64url(HMAC-SHA256(key, claims))}, without padding, where {@code claims}
 * is a {@code TokenClaims} struct in {@code TCompactProtocol}.
 */
final class TokenFormat {
    static final String MAC_ALGORITHM = "HmacSHA256";
    /** Tokens longer than this are refused before any decoding. */
    static final int MAX_TOKEN_CHARS = 1024;
    static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    static final Base64.Decoder DECODER = Base64.getUrlDecoder();

    private TokenFormat() {
    }

    static byte[] mac(byte[] key, byte[] claims) {
        try {
            Mac mac = Mac.getInstance(MAC_ALGORITHM);
            mac.init(new SecretKeySpec(key, MAC_ALGORITHM));
            return mac.doFinal(claims);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available in this JVM", e);
        }
    }
}
