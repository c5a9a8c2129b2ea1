namespace Usher.ControlPlane.Experiments;

/// <summary>What became of one reported outcome.</summary>
internal enum FeedbackStatus
{
    /// <summary>Joined with its assignment and stored.</summary>
    Recorded,

    /// <summary>
    /// Stored, but no assignment for the unit is stored yet (a shared store only): another replica may
    /// have served it and not flushed its assignments yet. It counts once that replica has; an outcome
    /// for a unit that no replica served counts nowhere.
    /// </summary>
    Pending,

    /// <summary>An outcome for this unit and metric was already stored; the first one stands.</summary>
    Duplicate,

    /// <summary>No request with that id or key was routed during the experiment.</summary>
    Unknown,

    /// <summary>The item itself is wrong (no id or key, a binary value other than 0 or 1).</summary>
    Invalid,
}
