package dev.duet.chat.store;

/**
 * A message to append: who sent it, the sender's idempotency key (unique per sender, not per couple), and the text.
 */
public record AppendRequest(String senderId, String clientMsgId, String body) {
}
