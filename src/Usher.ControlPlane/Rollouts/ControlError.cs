namespace Usher.ControlPlane.Rollouts;

/// <summary>A refused control-plane request, as a value.</summary>
/// <param name="Kind">Why.</param>
/// <param name="Message">What was wrong and what to do.</param>
/// <param name="Problems">Every problem of an invalid spec (empty otherwise).</param>
internal sealed record ControlError(ControlErrorKind Kind, string Message, IReadOnlyList<string> Problems)
{
    /// <summary>An invalid request.</summary>
    public static ControlError Invalid(string message, IReadOnlyList<string>? problems = null) => new(ControlErrorKind.Invalid, message, problems ?? []);

    /// <summary>Something unknown.</summary>
    public static ControlError NotFound(string message) => new(ControlErrorKind.NotFound, message, []);

    /// <summary>An action that does not fit the state.</summary>
    public static ControlError Conflict(string message) => new(ControlErrorKind.Conflict, message, []);
}
