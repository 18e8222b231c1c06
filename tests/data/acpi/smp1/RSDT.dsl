/*
 * Intel ACPI Component Architecture
 * 
 *
 * ACPI Data Table [RSDT]
 *
 * Format: [HexOffset DecimalOffset ByteLength]  FieldName : FieldValue
 */

[000h 0000   4]                    Signature : "RSDT"    [Root System Description Table]
[004h 0004   4]                 Table Length : 0000002C
[008h 0008   1]                     Revision : 01
[009h 0009   1]                     Checksum : 40
[00Ah 0010   6]                       Oem ID : "VMU   "
[010h 0016   8]                 Oem Table ID : "VMUPC   "
[018h 0024   4]                 Oem Revision : 00000001
[01Ch 0028   4]              Asl Compiler ID : "VMU "
[020h 0032   4]        Asl Compiler Revision : 00000001

[024h 0036   4]       ACPI Table Address   0 : 20000CD6
[028h 0040   4]       ACPI Table Address   1 : 20000DCA

Raw Table Data: Length 44 (0x2C)

    0000: 52 53 44 54 2C 00 00 00 01 40 56 4D 55 20 20 20  // RSDT,....@VMU   
    0010: 56 4D 55 50 43 20 20 20 01 00 00 00 56 4D 55 20  // VMUPC   ....VMU 
    0020: 01 00 00 00 D6 0C 00 20 CA 0D 00 20              // ....... ... 
