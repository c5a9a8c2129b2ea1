using Google.Protobuf;
using Grpc.Core;
using Usher.Core.Inference;

namespace Usher.Server.Frontends.Grpc;

/// <summary>
/// Passes each method on to the real binder with a request marshaller whose failures are the client's:
/// Protobuf refuses a string field that is not UTF-8 (proto3 requires it) by throwing, which gRPC
/// would answer as UNKNOWN "Exception was thrown by handler". Here it is INVALID_ARGUMENT naming the
/// field, found by <see cref="ProtoTextFinder"/>. Parsing itself is unchanged; only its failure is.
/// </summary>
internal sealed class CheckedRequestBinder(ServiceBinderBase inner) : ServiceBinderBase
{
    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler)
        => inner.AddMethod(Checked(method), handler);

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler)
        => inner.AddMethod(Checked(method), handler);

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler)
        => inner.AddMethod(Checked(method), handler);

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler)
        => inner.AddMethod(Checked(method), handler);

    private static Method<TRequest, TResponse> Checked<TRequest, TResponse>(Method<TRequest, TResponse> method)
        where TRequest : class
        where TResponse : class
    {
        if (Activator.CreateInstance<TRequest>() is not IMessage prototype)
        {
            return method;
        }

        var descriptor = prototype.Descriptor;
        var parse = method.RequestMarshaller.ContextualDeserializer;
        var marshaller = Marshallers.Create(method.RequestMarshaller.ContextualSerializer, context =>
        {
            try
            {
                return parse(context);
            }
            catch (Exception exception) when (exception is InvalidProtocolBufferException or ArgumentException)
            {
                // ArgumentException: the DecoderFallbackException of a string that is not UTF-8.
                throw new RpcException(new Status(StatusCode.InvalidArgument, Describe(descriptor, context, exception)));
            }
        });
        return new Method<TRequest, TResponse>(method.Type, method.ServiceName, method.Name, marshaller, method.ResponseMarshaller);
    }

    private static string Describe(Google.Protobuf.Reflection.MessageDescriptor descriptor, DeserializationContext context, Exception exception)
    {
        var field = ProtoTextFinder.FindInvalidString(descriptor, context.PayloadAsNewBuffer());
        return field is not null
            ? $"{descriptor.Name}.{field}: the string is not valid UTF-8; string fields must be UTF-8 text (send bytes in a bytes field)"
            : EchoText.Message($"{descriptor.Name} is not a valid Protobuf message: {exception.Message}");
    }
}
