package dev.duet.chat.store;

import dev.duet.thrift.chat.Message;

/**
 * The stored message an append produced or found: {@code duplicate} when its client message id was already stored,
 * in which case {@code message} carries the first seq and timestamp (and a null body: the body is not read back).
 */
public record AppendResult(Message message, boolean duplicate) {
}
