using Usher.Core.Inference;

namespace Usher.Engine;

/// <summary>
/// An expected failure of the engine: the same <see cref="InferenceError"/> the server answers with
/// (unknown model, a request that does not fit the model, a full queue, a backend failure, ...).
/// </summary>
public sealed class UsherEngineException : Exception
{
    /// <summary>Creates the exception for an error.</summary>
    public UsherEngineException(InferenceError error)
        : base(error?.Message)
    {
        ArgumentNullException.ThrowIfNull(error);
        Error = error;
    }

    /// <summary>Creates an exception of kind <see cref="InferenceErrorKind.Internal"/>.</summary>
    public UsherEngineException()
        : this(InferenceError.Internal("the engine failed"))
    {
    }

    /// <summary>Creates an exception of kind <see cref="InferenceErrorKind.Internal"/> with a message.</summary>
    public UsherEngineException(string message)
        : this(InferenceError.Internal(message))
    {
    }

    /// <summary>Creates an exception of kind <see cref="InferenceErrorKind.Internal"/> with a message and its cause.</summary>
    public UsherEngineException(string message, Exception innerException)
        : base(message, innerException)
    {
        Error = InferenceError.Internal(message);
    }

    /// <summary>The error, as the server would have answered it.</summary>
    public InferenceError Error { get; }

    /// <summary>What kind of failure (the server maps it to an HTTP and a gRPC status).</summary>
    public InferenceErrorKind Kind => Error.Kind;
}
