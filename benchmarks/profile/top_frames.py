#!/usr/bin/env python3
"""Top frames of a speedscope profile (what `dotnet-trace convert --format speedscope` writes): for
each frame, the share of samples where it is on top of the stack (self) and anywhere on it
(inclusive), summed over every thread's profile.

  top_frames.py trace.speedscope.json [--top 25] [--skip-idle]

--skip-idle leaves out samples whose top frame is a wait (threads parked in the runtime or the
kernel), so the shares are of the time spent working.
"""
import argparse
import json
import re
from collections import Counter

IDLE = re.compile(r"WaitHandle|Monitor\.Wait|LowLevelLifoSemaphore|SemaphoreSlim\.Wait|Thread\.Sleep|epoll_wait|"
                  r"WaitForSignal|WaitOne|Interop\+Sys\.WaitForSocketEvents|PortableThreadPool\+GateThread|"
                  r"UNMANAGED_CODE_TIME|CPU_TIME|Thread\.Join|ManualResetEventSlim\.Wait")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("profile")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--skip-idle", action="store_true")
    arguments = parser.parse_args()
    with open(arguments.profile, encoding="utf-8") as file:
        data = json.load(file)
    frames = [f["name"] for f in data["shared"]["frames"]]
    self_weight, inclusive_weight = Counter(), Counter()
    total = 0.0
    for profile in data["profiles"]:
        if profile.get("type") == "sampled":
            stacks = zip(profile["samples"], profile["weights"])
        else:  # evented: open/close events per frame; weight of a stack = time until the next event
            stacks, open_frames, last = [], [], None
            for event in profile["events"]:
                if last is not None and open_frames:
                    stacks.append((list(open_frames), event["at"] - last))
                last = event["at"]
                if event["type"] == "O":
                    open_frames.append(event["frame"])
                elif open_frames:
                    # Close the innermost frame with this index.
                    for i in range(len(open_frames) - 1, -1, -1):
                        if open_frames[i] == event["frame"]:
                            del open_frames[i]
                            break
        for stack, weight in stacks:
            if not stack:
                continue
            names = [frames[i] for i in stack]
            if arguments.skip_idle and any(IDLE.search(n) for n in names[-3:]):
                continue
            total += weight
            self_weight[names[-1]] += weight
            for name in set(names):
                inclusive_weight[name] += weight
    if total == 0:
        print("no samples")
        return
    print(f"{'self %':>7}  {'incl %':>7}  frame (top {arguments.top} by self time; {total:.0f} units of sampled time)")
    for name, weight in self_weight.most_common(arguments.top):
        print(f"{100 * weight / total:7.2f}  {100 * inclusive_weight[name] / total:7.2f}  {name[:160]}")


if __name__ == "__main__":
    main()
