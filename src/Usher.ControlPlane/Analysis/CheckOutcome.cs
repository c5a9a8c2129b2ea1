namespace Usher.ControlPlane.Analysis;

/// <summary>The outcome of one check of a canary analysis.</summary>
internal enum CheckOutcome
{
    /// <summary>The check had enough samples and found nothing wrong.</summary>
    Pass,

    /// <summary>The check found the canary worse than allowed.</summary>
    Fail,

    /// <summary>The check lacks samples to decide.</summary>
    Wait,
}
