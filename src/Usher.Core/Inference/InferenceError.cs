namespace Usher.Core.Inference;

/// <summary>An expected failure, as a value: its kind and a message that names the thing and the fix.</summary>
/// <param name="Kind">What went wrong, mapped to a status code by the frontend.</param>
/// <param name="Message">For the client: what was wrong, what was expected, what came.</param>
public sealed record InferenceError(InferenceErrorKind Kind, string Message)
{
    private readonly string _message = EchoText.Message(Message);

    /// <summary>
    /// For the client: what was wrong, what was expected, what came; cut by <see cref="EchoText.Message"/>
    /// when long, so that no echoed input makes an error (or the log line and gRPC trailer that carry
    /// it) unbounded.
    /// </summary>
    public string Message
    {
        get => _message;
        init => _message = EchoText.Message(value);
    }

    /// <summary>A malformed request or one that does not fit the model.</summary>
    public static InferenceError Invalid(string message) => new(InferenceErrorKind.InvalidArgument, message);

    /// <summary>An unknown model or version.</summary>
    public static InferenceError NotFound(string message) => new(InferenceErrorKind.NotFound, message);

    /// <summary>A model or version that is not ready.</summary>
    public static InferenceError Unavailable(string message) => new(InferenceErrorKind.Unavailable, message);

    /// <summary>
    /// The HTTP status when it is not the kind's own: for <see cref="InferenceErrorKind.InjectedFault"/>,
    /// the status the operator asked the fault to answer with; 413 for a request body over the limit.
    /// Null otherwise, where the status follows from the kind.
    /// </summary>
    public int? Status { get; init; }

    /// <summary>A fault injected by an operator for a rehearsal, answered with <paramref name="status"/>.</summary>
    public static InferenceError Injected(int status, string message) => new(InferenceErrorKind.InjectedFault, message) { Status = status };

    /// <summary>A backend failure while running the model.</summary>
    public static InferenceError Internal(string message) => new(InferenceErrorKind.Internal, message);
}
