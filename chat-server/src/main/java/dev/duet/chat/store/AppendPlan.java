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
 * One attempt at a batch append, decided from the row as read: which requests are duplicates (their client message id
 * is stored already, or came earlier in the batch) and which get the next sequence numbers, and the one row mutation
 * that stores the new ones. {@code mutations} is null when every request was a duplicate.
 */
record AppendPlan(RowMutations mutations, List<AppendResult> results) {

    static AppendPlan of(byte[] row, Result current, List<AppendRequest> requests, long now) {
        long lastSeq = HBaseChatStore.longOf(current, CoupleRow.STATE, CoupleRow.LAST_SEQ);
        Map<String, AppendResult> byClientMsgId = new HashMap<>();
        List<AppendResult> results = new ArrayList<>(requests.size());
        Put put = null;
        for (AppendRequest request : requests) {
            AppendResult earlier = byClientMsgId.get(request.clientMsgId());
            if (earlier != null) {
                results.add(new AppendResult(earlier.message(), true));
                continue;
            }
            byte[] stored = current.getValue(CoupleRow.IDEMPOTENCY, CoupleRow.clientMsgId(request.clientMsgId()));
            AppendResult result;
            if (stored != null) {
                Message first = new Message().setSeq(Bytes.toLong(stored, 0)).setTimestamp(Bytes.toLong(stored, 8))
                        .setSenderId(request.senderId()).setClientMsgId(request.clientMsgId());
                result = new AppendResult(first, true);
            } else {
                long seq = ++lastSeq;
                Message message = new Message(seq, request.senderId(), request.clientMsgId(), now, request.body());
                if (put == null) {
                    put = new Put(row);
                }
                put.addColumn(CoupleRow.MESSAGES, CoupleRow.seq(seq), HBaseChatStore.encode(message));
                put.addColumn(CoupleRow.IDEMPOTENCY, CoupleRow.clientMsgId(request.clientMsgId()),
                        Bytes.add(CoupleRow.seq(seq), CoupleRow.seq(now)));
                result = new AppendResult(message, false);
            }
            byClientMsgId.put(request.clientMsgId(), result);
            results.add(result);
        }
        if (put == null) {
            return new AppendPlan(null, results);
        }
        put.addColumn(CoupleRow.STATE, CoupleRow.LAST_SEQ, CoupleRow.seq(lastSeq));
        RowMutations mutations = new RowMutations(row);
        try {
            mutations.add(put);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new AppendPlan(mutations, results);
    }
}
