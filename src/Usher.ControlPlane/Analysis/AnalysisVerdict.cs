namespace Usher.ControlPlane.Analysis;

/// <summary>The outcome of comparing a canary with the stable variant.</summary>
internal enum AnalysisVerdict
{
    /// <summary>Every check had enough samples and none found the canary worse.</summary>
    Pass,

    /// <summary>At least one check found the canary worse: roll back.</summary>
    Fail,

    /// <summary>No check failed, but at least one lacks samples: keep collecting.</summary>
    Wait,
}
