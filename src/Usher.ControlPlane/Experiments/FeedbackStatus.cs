namespace Usher.ControlPlane.Experiments;

/// <summary>What became of one reported outcome.</summary>
internal enum FeedbackStatus
{
    /// <summary>Joined with its assignment and stored.</summary>
    Recorded,

    /// <summary>An outcome for this unit and metric was already stored; the first one stands.</summary>
    Duplicate,

    /// <summary>No request with that id or key was routed during the experiment.</summary>
    Unknown,

    /// <summary>The item itself is wrong (no id or key, a binary value other than 0 or 1).</summary>
    Invalid,
}
