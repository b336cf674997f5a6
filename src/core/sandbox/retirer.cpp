#include "core/sandbox/retirer.hpp"

namespace orch::sandbox {

void wait_for_stop(Started& st) {
  if (!st.waiter) return;
  try {
    st.waiter->exit_code(kRetireWait);
  } catch (const std::exception&) {
    // still running, or the engine is away: the removal kills it
  }
}

Retirer::Retirer() {
  for (int i = 0; i < kThreads; ++i) threads_.emplace_back([this] { loop(); });
}

Retirer::~Retirer() { shutdown(); }

void Retirer::hand_over(Started st) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stop_ && queue_.size() < kBacklog) {
      queue_.push_back(std::move(st));
      cv_.notify_one();
      return;
    }
  }
  wait_for_stop(st);  // its guard removes it as it goes out of scope
}

void Retirer::loop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;
    Started st = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    wait_for_stop(st);
    st = Started{};  // the guard removes the container, outside the lock
    lock.lock();
  }
}

void Retirer::shutdown() {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    threads.swap(threads_);
  }
  cv_.notify_all();
  for (auto& t : threads) t.join();
}

}  // namespace orch::sandbox
