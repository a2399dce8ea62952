package dev.amipipeline.common;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The one way the tool runs work at once: calls over a list of items on a bounded pool, a few steps
 * side by side, or one piece of work in the background. Threads are daemons, so a command that stops
 * never waits for them to exit. Throttling is the SDK's business (adaptive retries on the shared
 * clients); a pool only bounds how many requests are in flight. An interrupt while waiting is {@link
 * AmiException.Interrupted} (exit 130).
 */
public final class Concurrently {

  private Concurrently() {}

  /**
   * {@code fn} of every item on at most {@code parallelism} threads, in the items' order. Once every
   * call has ended, the first one's failure (in the items' order) is thrown.
   */
  public static <T, R> Map<T, R> map(int parallelism, Collection<T> items, Function<T, R> fn) {
    List<T> order = new ArrayList<>(items);
    List<R> results = inOrder(parallelism, order, fn);
    Map<T, R> byItem = new LinkedHashMap<>();
    for (int i = 0; i < order.size(); i++) {
      byItem.put(order.get(i), results.get(i));
    }
    return byItem;
  }

  /** {@code action} on every item, at most {@code parallelism} at once; failures as in {@link #map}. */
  public static <T> void forEach(int parallelism, Collection<T> items, Consumer<T> action) {
    inOrder(parallelism, new ArrayList<>(items), item -> {
      action.accept(item);
      return Boolean.TRUE;
    });
  }

  /** Each step on a thread of its own; their results in order, failures as in {@link #map}. */
  public static <R> List<R> all(List<Supplier<R>> steps) {
    return inOrder(steps.size(), steps, Supplier::get);
  }

  /** Starts {@code work} now on a daemon thread named {@code name}; {@link #await} its result. */
  public static <T> CompletableFuture<T> inBackground(String name, Supplier<T> work) {
    return CompletableFuture.supplyAsync(work, task -> {
      Thread thread = new Thread(task, name);
      thread.setDaemon(true);
      thread.start();
    });
  }

  /** The result of background work, or the exception it threw (e.g. ToolMissing for a missing packer). */
  public static <T> T await(CompletableFuture<T> work) {
    try {
      return work.join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof RuntimeException cause ? cause : e;
    }
  }

  /** A pool of {@code threads} daemon threads named {@code name}, for work that is handed out as it comes. */
  public static ExecutorService pool(int threads, String name) {
    return Executors.newFixedThreadPool(threads, task -> {
      Thread thread = new Thread(task, name);
      thread.setDaemon(true);
      return thread;
    });
  }

  /** What a thread interrupted while it waited for work of a pool throws; keeps the interrupt flag. */
  public static AmiException.Interrupted interrupted(InterruptedException e) {
    Thread.currentThread().interrupt();
    return new AmiException.Interrupted("interrupted: stopped waiting for the work in flight; what finished is"
        + " done, run the command again for the rest", e);
  }

  private static <T, R> List<R> inOrder(int parallelism, List<T> items, Function<T, R> fn) {
    if (parallelism < 1) {
      throw new IllegalArgumentException("parallelism must be at least 1, was " + parallelism);
    }
    if (items.isEmpty()) {
      return List.of();
    }
    ExecutorService pool = pool(Math.min(parallelism, items.size()), "ami-concurrently");
    try {
      List<Callable<R>> calls = items.stream().<Callable<R>>map(item -> () -> fn.apply(item)).toList();
      List<R> results = new ArrayList<>();
      for (Future<R> call : pool.invokeAll(calls)) {
        results.add(call.get());
      }
      return results;
    } catch (InterruptedException e) {
      throw interrupted(e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new IllegalStateException(e.getCause());
    } finally {
      pool.shutdownNow();
    }
  }
}
