package dev.duet.chat.store;

import dev.duet.thrift.chat.Message;
import org.apache.hadoop.hbase.client.Put;
import org.apache.hadoop.hbase.client.Result;
import org.apache.hadoop.hbase.client.RowMutations;
import org.apache.hadoop.hbase.util.Bytes;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One attempt at a batch append, decided from the row as read: which requests are duplicates (the sender's client
 * message id is stored already, or came earlier in the batch), which reuse an id for another body (conflicts), which
 * get the next sequence numbers, and the one row mutation that stores the new ones and moves the fence's
 * {@code lastSeq}. {@code mutations} is null when nothing is new.
 */
record AppendPlan(RowMutations mutations, List<AppendResult> results) {

    static AppendPlan of(byte[] row, Fence fence, Result current, List<AppendRequest> requests, long now) {
        long lastSeq = fence.lastSeq();
        Map<String, AppendResult> earlierInBatch = new HashMap<>();
        List<AppendResult> results = new ArrayList<>(requests.size());
        Put put = null;
        for (AppendRequest request : requests) {
            byte[] key = CoupleRow.idempotencyKey(request.senderId(), request.clientMsgId());
            String batchKey = Bytes.toStringBinary(key);
            AppendResult earlier = earlierInBatch.get(batchKey);
            AppendResult result;
            if (earlier != null) {
                result = sameBody(earlier.message(), request) ? AppendResult.duplicateOf(earlier.message())
                        : AppendResult.conflicting();
            } else {
                byte[] stored = current.getValue(CoupleRow.IDEMPOTENCY, key);
                if (stored != null) {
                    result = Bytes.toLong(stored, 16) == CoupleRow.bodyHash(request.body())
                            ? AppendResult.duplicateOf(new Message(Bytes.toLong(stored, 0), request.senderId(),
                            request.clientMsgId(), Bytes.toLong(stored, 8), request.body()))
                            : AppendResult.conflicting();
                } else {
                    long seq = ++lastSeq;
                    Message message = new Message(seq, request.senderId(), request.clientMsgId(), now, request.body());
                    if (put == null) {
                        put = new Put(row);
                    }
                    put.addColumn(CoupleRow.MESSAGES, CoupleRow.seq(seq), HBaseChatStore.encode(message));
                    put.addColumn(CoupleRow.IDEMPOTENCY, key, CoupleRow.idempotencyValue(seq, now, request.body()));
                    result = AppendResult.stored(message);
                }
                if (!result.conflict()) {
                    earlierInBatch.put(batchKey, result);
                }
            }
            results.add(result);
        }
        if (put == null) {
            return new AppendPlan(null, results);
        }
        put.addColumn(CoupleRow.STATE, CoupleRow.FENCE, fence.withLastSeq(lastSeq).toBytes());
        put.addColumn(CoupleRow.STATE, CoupleRow.LAST_SEQ, CoupleRow.seq(lastSeq));
        RowMutations mutations = new RowMutations(row);
        try {
            mutations.add(put);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new AppendPlan(mutations, results);
    }

    private static boolean sameBody(Message earlier, AppendRequest request) {
        return earlier.getBody().equals(request.body());
    }
}
