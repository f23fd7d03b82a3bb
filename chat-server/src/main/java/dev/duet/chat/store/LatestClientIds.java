package dev.duet.chat.store;

import org.apache.hadoop.hbase.util.Bytes;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * The byte-wise greatest client message id each sender of a couple has stored, kept in the couple's {@link Fence}.
 * Every append that stores an idempotency key moves it, so no sender has a stored key above its entry: an id above
 * it is provably new, and an append of only such ids needs no read of the row first. Clients that number their
 * messages in increasing order (the SDK does) take that path every time; any other id is checked against the row as
 * before. A row with messages but no ids is from before they were kept, and is always read first.
 *
 * <pre>
 * entries:4  then per sender: senderLength:4 sender (UTF-8)  idLength:4 id (UTF-8)
 * </pre>
 */
public final class LatestClientIds {
    /** A couple has two members; a stored cell with more entries than this is not ours. */
    private static final int MAX_SENDERS = 16;
    private static final int MAX_FIELD_BYTES = 4096;
    static final LatestClientIds NONE = new LatestClientIds(new TreeMap<>());

    private final TreeMap<String, byte[]> latest;

    private LatestClientIds(TreeMap<String, byte[]> latest) {
        this.latest = latest;
    }

    /** True when {@code senderId} has stored no id byte-wise greater than or equal to {@code clientMsgId}. */
    boolean isNew(String senderId, String clientMsgId) {
        byte[] stored = latest.get(senderId);
        return stored == null || Bytes.compareTo(clientMsgId.getBytes(StandardCharsets.UTF_8), stored) > 0;
    }

    /** These ids with {@code clientMsgId} stored for {@code senderId} as well. */
    LatestClientIds with(String senderId, String clientMsgId) {
        if (!isNew(senderId, clientMsgId)) {
            return this;
        }
        TreeMap<String, byte[]> next = new TreeMap<>(latest);
        next.put(senderId, clientMsgId.getBytes(StandardCharsets.UTF_8));
        return new LatestClientIds(next);
    }

    byte[] toBytes() {
        int size = Integer.BYTES;
        for (Map.Entry<String, byte[]> entry : latest.entrySet()) {
            size += 2 * Integer.BYTES + entry.getKey().getBytes(StandardCharsets.UTF_8).length + entry.getValue().length;
        }
        ByteBuffer buffer = ByteBuffer.allocate(size).putInt(latest.size());
        for (Map.Entry<String, byte[]> entry : latest.entrySet()) {
            byte[] sender = entry.getKey().getBytes(StandardCharsets.UTF_8);
            buffer.putInt(sender.length).put(sender).putInt(entry.getValue().length).put(entry.getValue());
        }
        return buffer.array();
    }

    static LatestClientIds fromBytes(byte[] value) {
        ByteBuffer buffer = ByteBuffer.wrap(value);
        int entries = buffer.getInt();
        if (entries < 0 || entries > MAX_SENDERS) {
            throw new IllegalStateException("a latest-ids cell of " + entries + " senders");
        }
        TreeMap<String, byte[]> latest = new TreeMap<>();
        for (int i = 0; i < entries; i++) {
            String sender = new String(field(buffer), StandardCharsets.UTF_8);
            latest.put(sender, field(buffer));
        }
        if (buffer.hasRemaining()) {
            throw new IllegalStateException("a latest-ids cell with " + buffer.remaining() + " bytes left over");
        }
        return new LatestClientIds(latest);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof LatestClientIds ids && Arrays.equals(toBytes(), ids.toBytes());
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(toBytes());
    }

    private static byte[] field(ByteBuffer buffer) {
        int length = buffer.getInt();
        if (length < 0 || length > MAX_FIELD_BYTES || length > buffer.remaining()) {
            throw new IllegalStateException("a latest-ids field of " + length + " bytes");
        }
        byte[] bytes = new byte[length];
        buffer.get(bytes);
        return bytes;
    }
}
