package dev.duet.launcher;

import dev.duet.chat.store.HBaseChatStore;
import dev.duet.chat.testing.ChatCluster;
import dev.duet.thrift.chat.Message;
import dev.duet.thrift.chat.SendResult;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The delivery promise checked against HBase for one couple: a dense history of seqs 1..last, every message stored
 * once (by sender and client id), every acknowledged message stored with the seq its ack gave, nothing stored that was
 * not acknowledged, and every device of the couple having received exactly 1..last, in order.
 */
final class CoupleHistory {
    private CoupleHistory() {
    }

    /**
     * @param acknowledged acks by "couple/sender/clientMsgId"; messages are expected to say "sender says clientMsgId"
     * @param devices      what each device of the couple received, by a name for failure messages
     */
    static void check(HBaseChatStore store, String couple, Map<String, SendResult> acknowledged,
                      Map<String, Supplier<List<Long>>> devices, String context) throws Exception {
        long last = store.lastSeq(couple).get(1, TimeUnit.MINUTES);
        List<Message> history = store.range(couple, 1, last).get(1, TimeUnit.MINUTES);
        List<Long> expected = LongStream.rangeClosed(1, last).boxed().toList();
        assertEquals(expected, history.stream().map(Message::getSeq).toList(), "dense history; " + context);
        Map<String, Long> storedSeqs = new HashMap<>();
        for (Message message : history) {
            String key = couple + "/" + message.getSenderId() + "/" + message.getClientMsgId();
            assertEquals(null, storedSeqs.put(key, message.getSeq()), key + " stored twice; " + context);
            assertEquals(message.getSenderId() + " says " + message.getClientMsgId(), message.getBody(), context);
        }
        long acks = acknowledged.keySet().stream().filter(key -> key.startsWith(couple + "/")).count();
        assertEquals(acks, history.size(), "every stored message was acknowledged, once; " + context);
        acknowledged.forEach((key, ack) -> {
            if (key.startsWith(couple + "/")) {
                assertNotNull(storedSeqs.get(key), key + " acknowledged but not stored; " + context);
                assertEquals(storedSeqs.get(key), ack.getSeq(), key + " acknowledged with another seq; " + context);
            }
        });
        for (Map.Entry<String, Supplier<List<Long>>> device : devices.entrySet()) {
            Supplier<List<Long>> received = device.getValue();
            assertTrue(ChatCluster.waitFor(() -> received.get().size() >= last),
                    device.getKey() + " of " + couple + " got " + received.get().size() + " of " + last + "; "
                            + context);
            assertEquals(expected, received.get(), device.getKey() + " of " + couple + "; " + context);
        }
    }
}
