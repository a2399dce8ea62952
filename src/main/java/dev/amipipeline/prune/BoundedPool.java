package dev.amipipeline.prune;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Runs calls on at most N threads and waits for all of them. Throttling is the SDK's business (adaptive
 * retries on the shared clients); this only bounds how many requests are in flight.
 */
final class BoundedPool {

  private BoundedPool() {}

  /** {@code fn} of every item, in the items' order. Each call handles its own AWS errors. */
  static <T, R> Map<T, R> map(int parallelism, Collection<T> items, Function<T, R> fn) {
    if (parallelism < 1) {
      throw new IllegalArgumentException("parallelism must be at least 1, was " + parallelism);
    }
    Map<T, R> results = new LinkedHashMap<>();
    if (items.isEmpty()) {
      return results;
    }
    ExecutorService pool = newPool(Math.min(parallelism, items.size()), "ami-prune");
    try {
      List<T> order = new ArrayList<>(items);
      List<Callable<R>> calls = order.stream().<Callable<R>>map(item -> () -> fn.apply(item)).toList();
      List<Future<R>> futures = pool.invokeAll(calls);
      for (int i = 0; i < order.size(); i++) {
        results.put(order.get(i), futures.get(i).get());
      }
      return results;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while deleting", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new IllegalStateException(e.getCause());
    } finally {
      pool.shutdownNow();
    }
  }

  /** N daemon threads: an interrupted prune never waits for its pool to exit. */
  static ExecutorService newPool(int threads, String name) {
    return Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    });
  }

  static <T> void forEach(int parallelism, Collection<T> items, Consumer<T> action) {
    map(parallelism, items, item -> {
      action.accept(item);
      return Boolean.TRUE;
    });
  }
}
