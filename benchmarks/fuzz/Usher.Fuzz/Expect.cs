using Usher.Core.Inference;
using Usher.Core.Tensors;

namespace Usher.Fuzz;

/// <summary>The properties every reader keeps, whatever the input (the same as the FsCheck tests').</summary>
internal static class Expect
{
    /// <summary>A refusal is the client's mistake (400 / INVALID_ARGUMENT) and says what is wrong, briefly.</summary>
    public static void ClientError(InferenceError error, bool notFoundAllowed = false)
    {
        if (error.Kind != InferenceErrorKind.InvalidArgument && !(notFoundAllowed && error.Kind == InferenceErrorKind.NotFound))
        {
            throw new FuzzFailure($"refused as {error.Kind}, not as the client's mistake: {error.Message}");
        }

        if (string.IsNullOrWhiteSpace(error.Message) || error.Message.Length > EchoText.MaxMessageLength)
        {
            throw new FuzzFailure($"a refusal's message is empty or {error.Message.Length} characters long");
        }
    }

    /// <summary>An accepted request holds exactly what its inputs declare.</summary>
    public static void Declared(InferenceRequest request)
    {
        foreach (var tensor in request.Inputs)
        {
            if (tensor.Shape.Length > 64 || tensor.Shape.Any(d => d < 0))
            {
                throw new FuzzFailure($"input '{tensor.Name}' accepted with shape [{string.Join(",", tensor.Shape)}]");
            }

            var count = TensorShape.ElementCount(tensor.Shape);
            var held = tensor.DataType == DataType.Bytes ? tensor.Strings!.Length : tensor.Data.Length / tensor.DataType.ElementSize();
            if (held != count || (tensor.DataType != DataType.Bytes && tensor.Data.Length % tensor.DataType.ElementSize() != 0))
            {
                throw new FuzzFailure($"input '{tensor.Name}' accepted holding {held} elements for {count} declared");
            }
        }
    }
}
