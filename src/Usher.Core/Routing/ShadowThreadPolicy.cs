namespace Usher.Core.Routing;

/// <summary>How the kernel schedules a shadow's thread (see <see cref="IdleScheduling"/>).</summary>
internal enum ShadowThreadPolicy
{
    /// <summary>Like any other thread: the worker runs a copy only while the primary and the shadow hold no lease, and polls otherwise.</summary>
    Normal,

    /// <summary>Nice 19: the kernel gives the thread a small share under contention; the worker still waits for idle instances, as with <see cref="Normal"/>.</summary>
    Nice,

    /// <summary>Linux <c>SCHED_IDLE</c>: the kernel runs the thread only when no other thread wants the CPU, so the worker takes every copy at once.</summary>
    Idle,
}
