namespace Usher.ControlPlane.Experiments;

/// <summary>The answer for one reported outcome.</summary>
/// <param name="Status">What happened to it.</param>
/// <param name="Version">The arm it joined, when it joined one.</param>
/// <param name="Message">Why, for anything but <see cref="FeedbackStatus.Recorded"/>.</param>
internal sealed record FeedbackResult(FeedbackStatus Status, long? Version, string? Message);
