package dev.duet.chat.store;

import net.openhft.hashing.LongHashFunction;
import org.apache.hadoop.hbase.util.Bytes;

import java.nio.charset.StandardCharsets;

/**
 * The HBase layout of one couple: one row, keyed by a 4-byte hash of the couple id followed by the id itself, so
 * couples spread evenly over regions while a couple stays in one row (appends are single-row atomic).
 *
 * <pre>
 * family m   qualifier seq:8 (big-endian)               value: the Message, TCompactProtocol
 * family i   qualifier senderId 0x00 clientMsgId (UTF-8) value: seq:8 timestamp:8 bodyHash:8
 * family s   qualifier "fence"                          value: see {@link Fence}
 *            qualifier "last_seq"                       value: seq:8 (the first version's; read only before a claim)
 *            qualifier "latest_ids"                     value: see {@link LatestClientIds} (the first fence layout's)
 *            qualifier "read:" userId                   value: seq:8
 * </pre>
 */
final class CoupleRow {
    static final byte[] MESSAGES = Bytes.toBytes("m");
    static final byte[] IDEMPOTENCY = Bytes.toBytes("i");
    static final byte[] STATE = Bytes.toBytes("s");
    static final byte[] LAST_SEQ = Bytes.toBytes("last_seq");
    static final byte[] FENCE = Bytes.toBytes("fence");
    static final byte[] LATEST_IDS = Bytes.toBytes("latest_ids");
    private static final LongHashFunction HASH = LongHashFunction.murmur_3();

    private CoupleRow() {
    }

    static byte[] key(String coupleId) {
        byte[] id = coupleId.getBytes(StandardCharsets.UTF_8);
        return Bytes.add(Bytes.toBytes((int) HASH.hashBytes(id)), id);
    }

    static byte[] seq(long seq) {
        return Bytes.toBytes(seq);
    }

    static byte[] readMark(String userId) {
        return Bytes.toBytes("read:" + userId);
    }

    /** Client message ids are unique per sender: two people may both number their messages 1, 2, 3. */
    static byte[] idempotencyKey(String senderId, String clientMsgId) {
        return Bytes.add(Bytes.toBytes(senderId), new byte[]{0}, Bytes.toBytes(clientMsgId));
    }

    static byte[] idempotencyValue(long seq, long timestamp, String body) {
        return Bytes.add(seq(seq), seq(timestamp), Bytes.toBytes(bodyHash(body)));
    }

    static long bodyHash(String body) {
        return HASH.hashBytes(body.getBytes(StandardCharsets.UTF_8));
    }
}
