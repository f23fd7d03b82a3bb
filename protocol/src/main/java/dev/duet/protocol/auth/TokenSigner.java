package dev.duet.protocol.auth;

import dev.duet.thrift.chat.TokenClaims;
import org.apache.thrift.TException;
import org.apache.thrift.TSerializer;
import org.apache.thrift.protocol.TCompactProtocol;

import java.time.Clock;
import java.time.Duration;

/** Issues tokens signed with the signing key of a {@link TokenKeys}. */
public final class TokenSigner {
    private final TokenKeys keys;
    private final Clock clock;

    public TokenSigner(TokenKeys keys, Clock clock) {
        this.keys = keys;
        this.clock = clock;
    }

    /** A token for {@code userId}, one of the two people of {@code coupleId}, valid for {@code ttl}. */
    public String sign(String userId, String coupleId, String partnerId, Duration ttl) {
        TokenClaims claims = new TokenClaims()
                .setUserId(userId)
                .setCoupleId(coupleId)
                .setPartnerId(partnerId)
                .setExpiresAt(clock.instant().plus(ttl).getEpochSecond())
                .setKeyId(keys.signingKeyId());
        return sign(claims);
    }

    /** A token for exactly these claims, whose {@code keyId} is replaced by the signing key's id. */
    public String sign(TokenClaims claims) {
        TokenClaims signed = claims.deepCopy().setKeyId(keys.signingKeyId());
        byte[] bytes;
        try {
            bytes = new TSerializer(new TCompactProtocol.Factory()).serialize(signed);
        } catch (TException e) {
            throw new IllegalArgumentException("claims cannot be serialized: " + e.getMessage(), e);
        }
        return TokenFormat.ENCODER.encodeToString(bytes) + "."
                + TokenFormat.ENCODER.encodeToString(TokenFormat.mac(keys.signingKey(), bytes));
    }
}
