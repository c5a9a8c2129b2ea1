namespace Usher.ControlPlane.Api;

/// <summary>The answer to a batch of feedback: counts by status, then one result per item.</summary>
/// <param name="Recorded">Items recorded.</param>
/// <param name="Pending">Items stored before any replica had stored their unit's assignment (replicas sharing PostgreSQL); they count once one has.</param>
/// <param name="Duplicate">Items already recorded.</param>
/// <param name="Unknown">Items naming no request routed during the experiment.</param>
/// <param name="Invalid">Items refused.</param>
/// <param name="Results">One answer per item, in order.</param>
public sealed record FeedbackBatchDto(int Recorded, int Pending, int Duplicate, int Unknown, int Invalid, IReadOnlyList<FeedbackAnswerDto> Results);
