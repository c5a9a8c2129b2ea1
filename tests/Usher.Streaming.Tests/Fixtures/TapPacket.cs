namespace Usher.Streaming.Tests.Fixtures;

/// <summary>One MQTT packet that passed through a <see cref="MqttTap"/>: its connection (from 1), direction, type (3 PUBLISH, 4 PUBACK, ...) and packet id.</summary>
public readonly record struct TapPacket(int Connection, bool FromClient, int Type, int? PacketId);
