package dev.duet.protocol.auth;

import dev.duet.protocol.auth.TokenRejectedException.Reason;
import dev.duet.thrift.chat.TokenClaims;
import dev.duet.protocol.thrift.CompactCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.apache.thrift.TException;

import java.security.MessageDigest;
import java.time.Clock;
import java.util.function.Supplier;

/**
 * Verifies tokens issued by {@link TokenSigner}: the key id must be known, the signature must match (compared in
 * constant time) and the token must not have expired. Thread-safe.
 */
public final class TokenVerifier {
    private final Supplier<TokenKeys> keys;
    private final Clock clock;

    public TokenVerifier(TokenKeys keys, Clock clock) {
        this(() -> keys, clock);
    }

    /** With the keys as {@code keys} has them at each verification (a {@link TokenKeyFile} that reloads). */
    public TokenVerifier(Supplier<TokenKeys> keys, Clock clock) {
        this.keys = keys;
        this.clock = clock;
    }

    /** The claims of a valid token. */
    public TokenClaims verify(String token) throws TokenRejectedException {
        if (token == null || token.length() > TokenFormat.MAX_TOKEN_CHARS) {
            throw new TokenRejectedException(Reason.MALFORMED, "token missing or longer than "
                    + TokenFormat.MAX_TOKEN_CHARS + " characters");
        }
        int dot = token.indexOf('.');
        if (dot <= 0 || dot != token.lastIndexOf('.') || dot == token.length() - 1) {
            throw new TokenRejectedException(Reason.MALFORMED, "token is not two dot-separated parts");
        }
        byte[] claimBytes = base64(token.substring(0, dot));
        byte[] signature = base64(token.substring(dot + 1));
        TokenClaims claims = parse(claimBytes);
        byte[] key = keys.get().key(claims.getKeyId()).orElseThrow(() -> new TokenRejectedException(
                Reason.UNKNOWN_KEY, "token signed with unknown key '" + claims.getKeyId() + "'"));
        if (!MessageDigest.isEqual(TokenFormat.mac(key, claimBytes), signature)) {
            throw new TokenRejectedException(Reason.BAD_SIGNATURE, "token signature does not match");
        }
        long now = clock.instant().getEpochSecond();
        if (claims.getExpiresAt() <= now) {
            throw new TokenRejectedException(Reason.EXPIRED, "token expired "
                    + (now - claims.getExpiresAt()) + " s ago");
        }
        return claims;
    }

    /** One spelling per token: padding, or set bits the last character does not carry, are refused. */
    private static byte[] base64(String part) throws TokenRejectedException {
        byte[] bytes;
        try {
            bytes = TokenFormat.DECODER.decode(part);
        } catch (IllegalArgumentException e) {
            throw new TokenRejectedException(Reason.MALFORMED, "token is not base64url: " + e.getMessage());
        }
        if (!TokenFormat.ENCODER.encodeToString(bytes).equals(part)) {
            throw new TokenRejectedException(Reason.MALFORMED, "token is not canonical base64url (no padding, "
                    + "unused bits zero)");
        }
        return bytes;
    }

    private static TokenClaims parse(byte[] bytes) throws TokenRejectedException {
        TokenClaims claims = new TokenClaims();
        ByteBuf in = Unpooled.wrappedBuffer(bytes);
        try {
            claims.read(CompactCodec.reader(in));
            if (in.isReadable()) {
                throw new TokenRejectedException(Reason.MALFORMED, "token claims have trailing bytes");
            }
        } catch (TException | RuntimeException e) {
            throw new TokenRejectedException(Reason.MALFORMED, "token claims do not parse: " + e.getMessage());
        }
        if (!claims.isSetUserId() || !claims.isSetCoupleId() || !claims.isSetPartnerId() || !claims.isSetKeyId()
                || claims.getUserId().isEmpty() || claims.getCoupleId().isEmpty()) {
            throw new TokenRejectedException(Reason.MALFORMED, "token claims lack user, couple, partner or key id");
        }
        return claims;
    }
}
