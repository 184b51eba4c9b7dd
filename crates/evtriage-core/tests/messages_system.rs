//! The System-channel template rows (`data/templates/system.tsv`) on real
//! corpus records: for one record of every (provider, event id, version, data
//! count) shape the corpus holds, the message rendered from the table alone
//! equals the text below, which was checked against the row's source (see
//! the `# source:` comments in the table) and the record's data items.
//!
//! The corpus lives outside the repository; the tests read it from
//! `$EVTRIAGE_CORPUS` and skip with a note when it is unset.

use std::collections::HashMap;
use std::sync::Arc;

use evtriage_core::message;
use evtriage_core::{Collect, DataItem, Event, Locator, Origin, Reader};
use evtriage_testutil::corpus;

/// (corpus file, record id, provider, event id, message Event Viewer shows).
const CASES: &[(&str, u64, &str, u32, &str)] = &[
    ("evtx/aaronthopliss_System.evtx", 84, "Microsoft-Windows-Dhcp-Client", 50036, "DHCPv4 client service is started"),
    ("evtx/aaronthopliss_System.evtx", 125, "Microsoft-Windows-Dhcp-Client", 50037, "DHCPv4 client service is stopped. ShutDown Flag value is 1"),
    ("evtx/anotherc0ne_EventLog_System.evtx", 62965, "Microsoft-Windows-Dhcp-Client", 50103, "DHCPv4 client registered for shutdown notification"),
    ("evtx/anotherc0ne_EventLog_System.evtx", 62875, "Microsoft-Windows-Dhcp-Client", 50104, "DHCPv4 client received shutdown notification"),
    ("evtx/anotherc0ne_EventLog_System.evtx", 62876, "Microsoft-Windows-Dhcp-Client", 50105, "DHCPv4 client ProcessDHCPRequestForever received TERMINATE_EVENT"),
    ("evtx/anotherc0ne_EventLog_System.evtx", 62884, "Microsoft-Windows-Dhcp-Client", 50106, "DHCPv4 is waiting on DHCPv6 service to stop"),
    ("evtx/aaronthopliss_System.evtx", 85, "Microsoft-Windows-DHCPv6-Client", 51046, "DHCPv6 client service is started"),
    ("evtx/aaronthopliss_System.evtx", 124, "Microsoft-Windows-DHCPv6-Client", 51047, "DHCPv6 client service is stopped. ShutDown Flag value is 1"),
    ("evtx/anotherc0ne_EventLog_System.evtx", 62881, "Microsoft-Windows-DHCPv6-Client", 51057, "DHCPv6 client service stop is almost done.DHCP Context Ref count is 1"),
    ("evtx/omerbenamram_2-vss_7-System.evtx", 26, "Microsoft-Windows-Directory-Services-SAM", 16403, "The error \"The specified account already exists.\r\n\" occurred when trying to create the well known account Device Owners. Please contact PSS to recover."),
    ("evtx/anotherc0ne_EventLog_System.evtx", 62933, "Microsoft-Windows-Directory-Services-SAM", 16962, "Remote calls to the SAM database are being restricted using the default security descriptor: O:SYG:SYD:(A;;RC;;;BA).\nFor more information please see http://go.microsoft.com/fwlink/?LinkId=787651."),
    ("evtx/anotherc0ne_EventLog_System.evtx", 62786, "Microsoft-Windows-Directory-Services-SAM", 16977, "The domain is configured with the following minimum password length-related settings.\n\nMinimumPasswordLength: 0\n\nMinimumPasswordLengthAudit: -1\n\nFor more information see https://go.microsoft.com/fwlink/?LinkId=2097191."),
    ("evtx/anotherc0ne_EventLog_System.evtx", 62935, "Microsoft-Windows-Directory-Services-SAM", 16983, "The security account manager is now logging periodic summary events for remote clients that call legacy password change or set RPC methods.\n\nFor more information please see https://go.microsoft.com/fwlink/?linkid=2150956."),
    ("evtx/deepbluecli_disablestop-eventlog_System.evtx", 9256, "Microsoft-Windows-DistributedCOM", 10005, "DCOM got error \"1068\" attempting to start the service netprofm with arguments \"Unavailable\" in order to run the server:\n{A47979D2-C419-11D9-A5B4-001185AD2B89}"),
    ("evtx/anotherc0ne_EventLog_System.evtx", 67397, "Microsoft-Windows-DistributedCOM", 10010, "The server {AAC1009F-AB33-48F9-9A21-7F5B88426A2E} did not register with DCOM within the required timeout."),
    ("evtx/anotherc0ne_EventLog_System.evtx", 64216, "Microsoft-Windows-DistributedCOM", 10016, "The application-specific permission settings do not grant Local Launch permission for the COM Server application with CLSID \n{21B896BF-008D-4D01-A27B-26061B960DD7}\n and APPID \n{03E09F3B-DCE4-44FE-A9CF-82D050827E1C}\n to the user EC2AMAZ-NEUK2LF\\Administrator SID (S-1-5-21-521820391-468474054-474528406-500) from address LocalHost (Using LRPC) running in the application container Unavailable SID (Unavailable). This security permission can be modified using the Component Services administrative tool."),
    ("evtx/anotherc0ne_EventLog_System.evtx", 65269, "Microsoft-Windows-DNS-Client", 1014, "Name resolution for the name www.bing.com timed out after none of the configured DNS servers responded."),
    ("evtx/anotherc0ne_EventLog_System.evtx", 65440, "Microsoft-Windows-DNS-Client", 8015, "The system failed to register host (A or AAAA) resource records (RRs) for network adapter\nwith settings:\n\n           Adapter Name : {37BC6F2E-37A3-4F8B-B157-2EA4A46F7B00}\n           Host Name : ASLWinClient\n           Primary Domain Suffix : aperture.sci\n           DNS server list :\n             \t10.0.2.98\n           Sent update to server : <?>\n           IP Address(es) :\n             10.0.3.226\n\nThe reason the system could not register these RRs was because the update request it sent to the DNS server timed out. The most likely cause of this is that the DNS server authoritative for the name it was attempting to register or update is not running at this time.\n\nYou can manually retry DNS registration of the network adapter and its settings by typing 'ipconfig /registerdns' at the command prompt. If problems still persist, contact your DNS server or network systems administrator."),
    ("evtx/anotherc0ne_EventLog_System.evtx", 65446, "Microsoft-Windows-DNS-Client", 8016, "The system failed to register host (A or AAAA) resource records (RRs) for network adapter\nwith settings:\n\n           Adapter Name : {37BC6F2E-37A3-4F8B-B157-2EA4A46F7B00}\n           Host Name : ASLWinClient\n           Primary Domain Suffix : aperture.sci\n           DNS server list :\n             \t10.0.2.98\n           Sent update to server : 10.0.2.98:53\n           IP Address(es) :\n             10.0.3.226\n\nThe reason the system could not register these RRs was because the DNS server failed the update request. The most likely cause of this is that the authoritative DNS server required to process this update request has a lock in place on the zone, probably because a zone transfer is in progress.\n\nYou can manually retry DNS registration of the network adapter and its settings by typing 'ipconfig /registerdns' at the command prompt. If problems still persist, contact your DNS server or network systems administrator."),
    ("evtx/deepbluecli_disablestop-eventlog_System.evtx", 9252, "Microsoft-Windows-Eventlog", 104, "The System log file was cleared."),
    ("evtx/pyevtx_system.evtx", 12049, "Microsoft-Windows-Eventlog", 105, "Event log automatic backup\n\tLog:\tSystem\n\tFile:\tC:\\Windows\\System32\\Winevt\\Logs\\Archive-System-2012-03-14-04-17-39-932.evtx"),
    ("evtx/anotherc0ne_EventLog_System.evtx", 62955, "Microsoft-Windows-FilterManager", 1, "File System Filter 'CldFlt' (Version 10.0, 2044-09-18T12:27:15.0000000Z) unloaded successfully."),
    ("evtx/anotherc0ne_EventLog_System.evtx", 62912, "Microsoft-Windows-FilterManager", 6, "File System Filter 'Wof' (10.0, 2061-06-10T21:34:45.0000000Z) has successfully loaded and registered with Filter Manager."),
    ("evtx/aaronthopliss_System.evtx", 8, "Microsoft-Windows-FilterManager", 6, "File System Filter 'FileInfo' (10.0, 2015-10-30T02:37:17.0000000Z) has successfully loaded and registered with Filter Manager."),
    ("evtx/anotherc0ne_EventLog_System.evtx", 66809, "Microsoft-Windows-GroupPolicy", 1129, "The processing of Group Policy failed because of lack of network connectivity to a domain controller. This may be a transient condition. A success message would be generated once the machine gets connected to the domain controller and Group Policy has successfully processed. If you do not see a success message for several hours, then contact your administrator."),
    ("evtx/aaronthopliss_System.evtx", 90, "Microsoft-Windows-GroupPolicy", 1500, "The Group Policy settings for the computer were processed successfully. There were no changes detected since the last successful processing of Group Policy."),
    ("evtx/aaronthopliss_System.evtx", 94, "Microsoft-Windows-GroupPolicy", 1501, "The Group Policy settings for the user were processed successfully. There were no changes detected since the last successful processing of Group Policy."),
    ("evtx/anotherc0ne_EventLog_System.evtx", 65203, "Microsoft-Windows-GroupPolicy", 1502, "The Group Policy settings for the computer were processed successfully. New settings from 1 Group Policy objects were detected and applied."),
    ("evtx/anotherc0ne_EventLog_System.evtx", 67179, "Microsoft-Windows-GroupPolicy", 1503, "The Group Policy settings for the user were processed successfully. New settings from 1 Group Policy objects were detected and applied."),
    ("evtx/plaso_System_dc.evtx", 639, "Microsoft-Windows-Kerberos-Key-Distribution-Center", 29, "The Key Distribution Center (KDC) cannot find a suitable certificate to use for smart card logons, or the KDC certificate could not be verified. Smart card logon may not function correctly if this problem is not resolved. To correct this problem, either verify the existing KDC certificate using certutil.exe or enroll for a new KDC certificate."),
    ("evtx/aaronthopliss_System.evtx", 6, "Microsoft-Windows-Kernel-Boot", 18, "There are 2 boot options on this system."),
    ("evtx/aaronthopliss_System.evtx", 54, "Microsoft-Windows-Kernel-Boot", 20, "The last shutdown's success status was true. The last boot's success status was true."),
    ("evtx/anotherc0ne_EventLog_System.evtx", 62905, "Microsoft-Windows-Kernel-Boot", 20, "The last shutdown's success status was true. The last boot's success status was true."),
    ("evtx/aaronthopliss_System.evtx", 5, "Microsoft-Windows-Kernel-Boot", 25, "The boot menu policy was 1."),
    ("evtx/omerbenamram_2-vss_7-System.evtx", 8, "Microsoft-Windows-Kernel-Boot", 26, "A one-time boot sequence was used during this boot."),
    ("evtx/aaronthopliss_System.evtx", 4, "Microsoft-Windows-Kernel-Boot", 27, "The boot type was 0."),
    ("evtx/anotherc0ne_EventLog_System.evtx", 62907, "Microsoft-Windows-Kernel-Boot", 27, "The boot type was 0."),
    ("evtx/gbzrlk021_System.evtx", 10, "Microsoft-Windows-Kernel-Boot", 30, "The firmware reported boot metrics."),
    ("evtx/aaronthopliss_System.evtx", 7, "Microsoft-Windows-Kernel-Boot", 32, "The bootmgr spent 0 ms waiting for user input."),
    ("evtx/anotherc0ne_EventLog_System.evtx", 62904, "Microsoft-Windows-Kernel-Boot", 153, "Virtualization-based security (policies: 0) is 0."),
    ("evtx/aaronthopliss_System.evtx", 26, "Microsoft-Windows-Kernel-General", 1, "The system time has changed to 2016-02-13T17:21:35.4230000Z from 2016-02-13T09:21:34.8561127Z.\n\nChange Reason: 1."),
    ("evtx/anotherc0ne_EventLog_System.evtx", 62872, "Microsoft-Windows-Kernel-General", 1, "The system time has changed to 2023-05-11T05:58:11.2914610Z from 2023-05-11T05:58:11.2896231Z.\n\nChange Reason: 1."),
    ("evtx/omerbenamram_2-vss_7-System.evtx", 624, "Microsoft-Windows-Kernel-General", 11, "TxR init phase for hive \\??\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy1\\WINDOWS\\System32\\config\\SYSTEM (TM: {59aeb2b1-8858-11e8-9810-e1fb95fece56}, RM: {59aeb2b0-8858-11e8-9810-e1fb95fece56}) finished with result=0xc00000a2 (Internal code=7)."),
    ("evtx/aaronthopliss_System.evtx", 18, "Microsoft-Windows-Kernel-General", 15, "Hive \\SystemRoot\\System32\\config\\DRIVERS was reorganized with a starting size of 4890624 bytes and an ending size of 4988928 bytes."),
    ("evtx/aaronthopliss_System.evtx", 19, "Microsoft-Windows-Kernel-General", 16, "The access history in hive \\Device\\HarddiskVolume1\\Boot\\BCD was cleared updating 86 keys and creating 6 modified pages."),
    ("evtx/anotherc0ne_EventLog_System.evtx", 62910, "Microsoft-Windows-Kernel-General", 20, "The leap second configuration has been updated.\nReason: 0\nLeap seconds enabled: true\nNew leap second count: 0\nOld leap second count: 0"),
    ("evtx/anotherc0ne_EventLog_System.evtx", 62871, "Microsoft-Windows-Kernel-General", 24, "The time zone information was refreshed with exit reason 0. Current time zone bias is 0."),
    ("evtx/omerbenamram_system.evtx", 47, "Microsoft-Windows-Kernel-PnP", 219, "The driver \\Driver\\WudfRd failed to load for the device HID\\VID_0E0F&PID_000A&Col01\\7&1e4bfc40&0&0000."),
    ("evtx/gbzrlk021_System.evtx", 352, "Microsoft-Windows-Kernel-PnP", 225, "The application System with process id 4 stopped the removal or ejection for the device ACPI\\PNP0A08\\0."),
    ("evtx/gbzrlk021_System.evtx", 918, "Microsoft-Windows-Kernel-Power", 42, "The system is entering sleep.\n\nSleep Reason: 4"),
    ("evtx/gbzrlk021_System.evtx", 919, "Microsoft-Windows-Kernel-Power", 107, "The system has resumed from sleep."),
    ("evtx/aaronthopliss_System.evtx", 51, "Microsoft-Windows-Kernel-Power", 109, "The kernel power manager has initiated a shutdown transition.\n\nShutdown Reason: 5"),
    ("evtx/anotherc0ne_EventLog_System.evtx", 62917, "Microsoft-Windows-Kernel-Power", 172, "Connectivity state in standby: 2, Reason: 6"),
    ("evtx/gbzrlk021_System.evtx", 916, "Microsoft-Windows-Kernel-Power", 187, "User-mode process attempted to change the system state by calling SetSuspendState or SetSystemPowerState APIs."),
    ("evtx/plaso_System_dc.evtx", 24, "Microsoft-Windows-Kernel-Processor-Power", 26, "Processor 0 in group 0 exposes the following:\n\n1 idle state(s)\n0 performance state(s)\n0 throttle state(s)"),
    ("evtx/aaronthopliss_System.evtx", 16, "Microsoft-Windows-Kernel-Processor-Power", 55, "Processor 0 in group 0 exposes the following power management capabilities:\n\nIdle state type: 1 (1 state(s))\n\nPerformance state type: 0\nNominal Frequency (MHz): 2660\nMaximum performance percentage: 100\nMinimum performance percentage: 100\nMinimum throttle percentage: 100"),
    ("evtx/plaso_System_dc.evtx", 662, "Microsoft-Windows-Time-Service", 12, "Time Provider NtpClient: This machine is configured to use the domain hierarchy to determine its time source, but it is the AD PDC emulator for the domain at the root of the forest, so there is no machine above it in the domain hierarchy to use as a time source. It is recommended that you either configure a reliable time service in the root domain, or manually configure the AD PDC to synchronize with an external time source. Otherwise, this machine will function as the authoritative time source in the domain hierarchy. If an external time source is not configured or used for this computer, you may choose to disable the NtpClient."),
    ("evtx/anotherc0ne_EventLog_System.evtx", 63044, "Microsoft-Windows-Time-Service", 35, "The time service is now synchronizing the system time with the time source 169.254.169.123,0x9 (ntp.m|0x9|0.0.0.0:123->169.254.169.123:123) with reference id 2074738345. Current local stratum number is 4."),
    ("evtx/anotherc0ne_EventLog_System.evtx", 65711, "Microsoft-Windows-Time-Service", 36, "The time service has not synchronized the system time for the last 7800 seconds because none of the time service providers provided a usable time stamp. The time service will not update the local system time until it is able to synchronize with a time source. If the local system is configured to act as a time server for clients, it will stop advertising as a time source to clients after 76520 seconds. The time service will continue to retry and sync time with its time sources. Check system event log for other W32time events for more details. Run 'w32tm /resync' to force an instant time synchronization. You can control the frequency of the time source rediscovery using ClockHoldoverPeriod W32time config setting. Modify the EventLogFlags W32time config setting if you wish to disable this message."),
    ("evtx/anotherc0ne_EventLog_System.evtx", 63009, "Microsoft-Windows-Time-Service", 37, "The time provider NtpClient is currently receiving valid time data from 169.254.169.123,0x9 (ntp.m|0x9|0.0.0.0:123->169.254.169.123:123)."),
    ("evtx/plaso_System_dc.evtx", 544, "Microsoft-Windows-Time-Service", 46, "The time service encountered an error and was forced to shut down. The error was: 0x80070700: An attempt was made to logon, but the network logon service was not started.\r\n"),
    ("evtx/pyevtx_system.evtx", 12114, "Microsoft-Windows-Time-Service", 50, "The time service detected a time difference of greater than 5000 milliseconds for 900 seconds. The time difference might be caused by synchronization with low-accuracy time sources or by suboptimal network conditions. The time service is no longer synchronized and cannot provide the time to other clients or update the system clock. When a valid time stamp is received from a time service provider, the time service will correct itself."),
    ("evtx/omerbenamram_system.evtx", 219, "Microsoft-Windows-Time-Service", 52, "The time service has set the time with offset 35999 seconds."),
    ("evtx/anotherc0ne_EventLog_System.evtx", 65437, "Microsoft-Windows-Time-Service", 129, "NtpClient was unable to set a domain peer to use as a time source because of discovery error. NtpClient will try again in 15 minutes and double the reattempt interval thereafter. The error was: The entry is not found. (0x800706E1)"),
    ("evtx/anotherc0ne_EventLog_System.evtx", 65441, "Microsoft-Windows-Time-Service", 134, "NtpClient was unable to set a manual peer to use as a time source because of DNS resolution error on 'time.windows.com,0x8'. NtpClient will try again in 15 minutes and double the reattempt interval thereafter. The error was: No such host is known. (0x80072AF9)"),
    ("evtx/anotherc0ne_EventLog_System.evtx", 65674, "Microsoft-Windows-Time-Service", 137, "NtpClient succeeds in resolving manual peer time.windows.com,0x8 after a previous failure."),
    ("evtx/anotherc0ne_EventLog_System.evtx", 65671, "Microsoft-Windows-Time-Service", 138, "NtpClient succeeds in resolving domain peer WinADController.aperture.sci after a previous failure."),
    ("evtx/plaso_System_dc.evtx", 653, "Microsoft-Windows-Time-Service", 139, "The time service has started advertising as a time source."),
    ("evtx/plaso_System_dc.evtx", 654, "Microsoft-Windows-Time-Service", 143, "The time service has started advertising as a good time source."),
    ("evtx/gbzrlk021_System.evtx", 203, "Microsoft-Windows-Time-Service", 158, "The time provider 'VMICTimeProvider' has indicated that the current hardware and operating environment is not supported and has stopped. This behavior is expected for VMICTimeProvider on non-HyperV-guest environments. This may be the expected behavior for the current provider in the current operating environment as well."),
    ("evtx/anotherc0ne_EventLog_System.evtx", 63212, "Microsoft-Windows-UserModePowerService", 12, "Process C:\\Program Files\\Amazon\\EC2Launch\\EC2Launch.exe (process ID:3032) reset policy scheme from {8c5e7fda-e8bf-4a96-9a85-a6e23a8c635c} to {8c5e7fda-e8bf-4a96-9a85-a6e23a8c635c}"),
    ("evtx/aaronthopliss_System.evtx", 44, "Microsoft-Windows-UserModePowerService", 22, "Reapply power settings upon completion of the provisioning engine's turn 1"),
    ("evtx/aaronthopliss_System.evtx", 32, "Microsoft-Windows-UserPnp", 20001, "Driver Management concluded the process to install driver msports.inf_amd64_007443fa234201e7\\msports.inf for Device Instance ID ACPI\\PNP0501\\1 with the following status: 0x0."),
    ("evtx/aaronthopliss_System.evtx", 29, "Microsoft-Windows-UserPnp", 20003, "Driver Management has concluded the process to add Service Serial for Device Instance ID ACPI\\PNP0501\\1 with the following status: 0."),
    ("evtx/pyevtx_system.evtx", 12065, "Microsoft-Windows-WindowsUpdateClient", 18, "Installation Ready: The following updates are downloaded and ready for installation. This computer is currently scheduled to install these updates on \u{200e}Thursday, \u{200e}March \u{200e}15, \u{200e}2012 at 3:00 AM: \n- Update Rollup for ActiveX Killbits for Windows 7 for x64-based Systems (KB2647518)"),
    ("evtx/pyevtx_system.evtx", 12130, "Microsoft-Windows-WindowsUpdateClient", 19, "Installation Successful: Windows successfully installed the following update: Update Rollup for ActiveX Killbits for Windows 7 for x64-based Systems (KB2647518)"),
    ("evtx/anotherc0ne_EventLog_System.evtx", 63589, "Microsoft-Windows-WindowsUpdateClient", 19, "Installation Successful: Windows successfully installed the following update: Security Intelligence Update for Microsoft Defender Antivirus - KB2267602 (Version 1.389.2284.0)"),
    ("evtx/omerbenamram_2-vss_7-System.evtx", 518, "Microsoft-Windows-WindowsUpdateClient", 20, "Installation Failure: Windows failed to install the following update with error 0x8024001e: 9NBLGGH3FL3T-Microsoft.VCLibs.120.00.Universal."),
    ("evtx/pyevtx_system.evtx", 12134, "Microsoft-Windows-WindowsUpdateClient", 22, "Restart Required: To complete the installation of the following updates, the computer will be restarted within 15 minutes: \n- Update Rollup for ActiveX Killbits for Windows 7 for x64-based Systems (KB2647518)\n- Security Update for Windows 7 for x64-based Systems (KB2621440)\n- Windows Malicious Software Removal Tool x64 - March 2012 (KB890830)\n- Update for Windows 7 for x64-based Systems (KB2639308)\n- Security Update for Windows 7 for x64-based Systems (KB2665364)\n- Security Update for Windows 7 for x64-based Systems (KB2667402)\n- Security Update for Windows 7 for x64-based Systems (KB2641653)"),
    ("evtx/pyevtx_system.evtx", 12136, "Microsoft-Windows-WindowsUpdateClient", 27, "Automatic Updates is now paused."),
    ("evtx/anotherc0ne_EventLog_System.evtx", 63588, "Microsoft-Windows-WindowsUpdateClient", 43, "Installation Started: Windows has started installing the following update: Security Intelligence Update for Microsoft Defender Antivirus - KB2267602 (Version 1.389.2284.0)"),
    ("evtx/anotherc0ne_EventLog_System.evtx", 63587, "Microsoft-Windows-WindowsUpdateClient", 44, "Windows Update started downloading an update."),
    ("evtx/aaronthopliss_System.evtx", 23, "Microsoft-Windows-Wininit", 14, "Credential Guard configuration: 0, 0"),
    ("evtx/aaronthopliss_System.evtx", 93, "Microsoft-Windows-Winlogon", 7001, "User Logon Notification for Customer Experience Improvement Program"),
    ("evtx/aaronthopliss_System.evtx", 122, "Microsoft-Windows-Winlogon", 7002, "User Logoff Notification for Customer Experience Improvement Program"),
    ("evtx/anotherc0ne_EventLog_System.evtx", 62985, "Microsoft-Windows-WinRM", 10148, "The WinRM service is listening for WS-Management requests. \n\n User Action \n Use the following command to see the specific IPs on which WinRM is listening: \n\n winrm enumerate winrm/config/listener"),
    ("evtx/anotherc0ne_EventLog_System.evtx", 62862, "Microsoft-Windows-WinRM", 10149, "The WinRM service is not listening for WS-Management requests. \n\n User Action \n If you did not intentionally stop the service, use the following command to see the WinRM configuration: \n\n winrm enumerate winrm/config/listener"),
    ("evtx/anotherc0ne_EventLog_System.evtx", 65435, "Microsoft-Windows-WinRM", 10154, "The WinRM service failed to create the following SPNs: WSMAN/ASLWinClient.aperture.sci; WSMAN/ASLWinClient. \n\n Additional Data \n The error received was 1355: The specified domain either does not exist or could not be contacted..\n\n User Action \n The SPNs can be created by an administrator using setspn.exe utility."),
    ("evtx/plaso_System_dc.evtx", 248, "USER32", 1074, "The process C:\\Windows\\system32\\winlogon.exe (37L4247F27-26) has initiated the restart of computer WIN-NBRJP24VCHB on behalf of user NT AUTHORITY\\SYSTEM for the following reason: Operating System: Upgrade (Planned)\nReason Code: 0x80020003\nShutdown Type: restart\nComment: "),
    ("evtx/aaronthopliss_System.evtx", 47, "User32", 1074, "The process C:\\Windows\\system32\\winlogon.exe (MINWINPC) has initiated the restart of computer WIN-2TO3V41EH3L on behalf of user NT AUTHORITY\\SYSTEM for the following reason: Operating System: Upgrade (Planned)\nReason Code: 0x80020003\nShutdown Type: restart\nComment: "),
    // Second round: Disk, EventLog 6011, Workstation, HttpEvent, NETLOGON.
    ("evtx/omerbenamram_system.evtx", 543, "Disk", 51, "An error was detected on device \\Device\\Harddisk1\\DR1 during a paging operation."),
    ("evtx/omerbenamram_system_zero-data-size-event.evtx", 436, "disk", 153, "The IO operation at logical block address 0x416e32 for Disk 0 (PDO name: \\Device\\00000024) was retried."),
    ("evtx/anotherc0ne_EventLog_System.evtx", 62892, "EventLog", 6011, "The NetBIOS name and DNS host name of this machine have been changed from EC2AMAZ-GQ0HEKD to WIN-5I1NNE9IUV7."),
    ("evtx/aaronthopliss_System.evtx", 28, "EventLog", 6011, "The NetBIOS name and DNS host name of this machine have been changed from MINWINPC to WIN-2TO3V41EH3L."),
    ("evtx/gbzrlk021_System.evtx", 56, "Workstation", 3261, "This computer has been successfully joined to workgroup 'WORKGROUP'."),
    ("evtx/plaso_System_dc.evtx", 502, "Microsoft-Windows-HttpEvent", 15007, "Reservation for namespace identified by URL prefix http://+:80/Temporary_Listen_Addresses/ was successfully added."),
    ("evtx/plaso_System_dc.evtx", 843, "NETLOGON", 5723, "The session setup from computer 'GREENDALEGOLD' failed because the security database does not contain a trust account 'GREENDALEGOLD$' referenced by the specified computer. \n\nUSER ACTION \nIf this is the first occurrence of this event for the specified computer and account, this may be a transient issue that doesn't require any action at this time. If this is a Read-Only Domain Controller and 'GREENDALEGOLD$' is a legitimate machine account for the computer 'GREENDALEGOLD' then 'GREENDALEGOLD' should be marked cacheable for this location if appropriate or otherwise ensure connectivity to a domain controller  capable of servicing the request (for example a writable domain controller). Otherwise, the following steps may be taken to resolve this problem: \n\nIf 'GREENDALEGOLD$' is a legitimate machine account for the computer 'GREENDALEGOLD', then 'GREENDALEGOLD' should be rejoined to the domain. \n\nIf 'GREENDALEGOLD$' is a legitimate interdomain trust account, then the trust should be recreated. \n\nOtherwise, assuming that 'GREENDALEGOLD$' is not a legitimate account, the following action should be taken on 'GREENDALEGOLD': \n\nIf 'GREENDALEGOLD' is a Domain Controller, then the trust associated with 'GREENDALEGOLD$' should be deleted. \n\nIf 'GREENDALEGOLD' is not a Domain Controller, it should be disjoined from the domain.\nBinary: 0xC000018B (STATUS_NO_TRUST_SAM_ACCOUNT): The SAM database on the Windows Server does not have a computer account for this workstation trust relationship."),
    ("evtx/pyevtx_system.evtx", 13508, "NETLOGON", 5783, "The session setup to the Windows Domain Controller \\\\Controller.shieldbase.local for the domain SHIELDBASE is not responsive.  The current RPC call from Netlogon on \\\\WKS-WIN764BITB to \\\\Controller.shieldbase.local has been cancelled."),
];

/// The events of every corpus file `CASES` names, read through the [`Reader`]
/// as users read them; `None` when no corpus is configured.
fn events_by_file() -> Option<HashMap<&'static str, Vec<Event>>> {
    let mut out = HashMap::new();
    for (file, ..) in CASES {
        if out.contains_key(file) {
            continue;
        }
        let path = corpus(file)?;
        let mut sink = Collect::default();
        Reader::default().read_paths(std::slice::from_ref(&path), &mut sink);
        out.insert(*file, sink.events().cloned().collect::<Vec<_>>());
    }
    Some(out)
}

#[test]
fn system_rows_render_real_records_exactly() {
    let Some(files) = events_by_file() else { return };
    let mut failures = Vec::new();
    for (file, record, provider, id, want) in CASES {
        let Some(e) = files.get(file).and_then(|v| v.iter().find(|e| e.record_id == Some(*record))) else {
            failures.push(format!("{file} #{record}: record not read"));
            continue;
        };
        assert_eq!((e.provider.name.as_deref(), e.event_id), (Some(*provider), *id), "{file} #{record}");
        let Some(t) = message::template_for(e) else {
            failures.push(format!("{file} #{record}: {provider} {id} has no template row"));
            continue;
        };
        assert!(t.exact, "{provider} {id}: rows of system.tsv are checked against a source");
        let got = message::render(e);
        if got != *want {
            failures.push(format!("{file} #{record} {provider} {id}:\n  got  {got:?}\n  want {want:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_system_row_is_exact_and_unique_per_provider_and_id() {
    let system = include_str!("../data/templates/system.tsv");
    let mut seen = std::collections::HashSet::new();
    let mut rows = 0;
    for line in system.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 5, "five tab-separated columns: {line:?}");
        let id: u32 = cols[1].parse().unwrap_or_else(|_| panic!("event id in {line:?}"));
        for p in cols[0].split('|') {
            assert!(seen.insert((p.to_ascii_lowercase(), id)), "{p} {id} twice");
            assert_eq!(message::template(p, id).map(|t| t.text), Some(cols[4]), "{p} {id} is looked up to its row");
        }
        assert!(["exact", "approx"].contains(&cols[3]), "{line:?}");
        rows += 1;
    }
    assert!(rows >= 140, "{rows}");
}

fn event(provider: &str, id: u32, data: &[&str]) -> Event {
    let mut e = Event::new(Some(provider.to_string()), id, Origin::new(Arc::from("test.evtx"), Locator::File));
    e.data = data.iter().map(|v| DataItem::unnamed(*v)).collect();
    e
}

/// Events the corpus lacks: the filled text of a synthetic record.
#[test]
fn second_round_rows_fill_their_insertions() {
    let cases: &[(&str, u32, &[&str], &str)] = &[
        ("Disk", 7, &["\\Device\\Harddisk0\\DR0"], "The device, \\Device\\Harddisk0\\DR0, has a bad block."),
        ("Disk", 11, &["\\Device\\Ide\\iaStor0"], "The driver detected a controller error on \\Device\\Ide\\iaStor0."),
        (
            "Microsoft-Windows-DNS-Server-Service",
            4007,
            &["_msdcs.contoso.com", "ForestDnsZones.contoso.com"],
            "The DNS server was unable to open zone _msdcs.contoso.com in the Active Directory from the application \
             directory partition ForestDnsZones.contoso.com. This DNS server is configured to obtain and use \
             information from the directory for this zone and is unable to load the zone without it. Check that the \
             Active Directory is functioning properly and reload the zone. The event data is the error code.",
        ),
        (
            "DNS",
            4016,
            &["DC=contoso.com,CN=MicrosoftDNS,DC=DomainDnsZones,DC=contoso,DC=com"],
            "The DNS server timed out attempting an Active Directory service operation on \
             DC=contoso.com,CN=MicrosoftDNS,DC=DomainDnsZones,DC=contoso,DC=com.  Check Active Directory to see that \
             it is functioning properly. The event data contains the error.",
        ),
        (
            "Microsoft-Windows-DNS-Server-Service",
            4004,
            &["contoso.com", ""],
            "The DNS server was unable to complete directory service enumeration of zone contoso.com.  This DNS \
             server is configured to use information obtained from Active Directory for this zone and is unable to \
             load the zone without it.  Check that the Active Directory is functioning properly and repeat \
             enumeration of the zone. The extended error debug information (which may be empty) is \"\". The event \
             data contains the error.",
        ),
        (
            "NETLOGON",
            3210,
            &["CONTOSO", "\\\\DC1.contoso.com"],
            "This computer could not authenticate with \\\\DC1.contoso.com, a Windows domain controller for domain \
             CONTOSO, and therefore this computer might deny logon requests. This inability to authenticate might be \
             caused by another computer on the same network using the same name or the password for this computer \
             account is not recognized. If this message appears again, contact your system administrator.",
        ),
        (
            "Microsoft-Windows-HttpEvent",
            15005,
            &["\\Device\\Http\\ReqQueue", "0.0.0.0:443"],
            "Unable to bind to the underlying transport for 0.0.0.0:443. The IP Listen-Only list may contain a \
             reference to an interface which may not exist on this machine.  The data field contains the error \
             number.",
        ),
        (
            "Tcpip",
            4231,
            &[],
            "A request to allocate an ephemeral port number from the global TCP port space has failed due to all \
             such ports being in use.",
        ),
    ];
    for (provider, id, data, want) in cases {
        let e = event(provider, *id, data);
        assert_eq!(message::render(&e), *want, "{provider} {id}");
    }
    // 5807 names `%SystemRoot%\debug\netlogon.log` literally (the row writes the percent signs `%%`).
    let e = event("NETLOGON", 5807, &["24", "7", "20000000", "20000000"]);
    let got = message::render(&e);
    assert!(got.starts_with("During the past 24 hours there have been 7 connections to this Domain"), "{got}");
    assert!(got.contains("'%SystemRoot%\\debug\\netlogon.log'"), "{got}");
    assert!(got.ends_with("the default is 20000000 bytes.  The current maximum size is 20000000 bytes.  To set a different maximum size, create the above registry value and set the desired maximum size in bytes."), "{got}");
}

/// Every (provider, id) the brief names that has a row now: looked up to an exact row.
#[test]
fn rule_events_have_exact_rows() {
    let want: &[(&str, &[u32])] = &[
        ("NETLOGON", &[3210, 5723, 5774, 5781, 5783, 5807]),
        ("Microsoft-Windows-DNS-Server-Service", &[500, 501, 4000, 4004, 4007, 4016]),
        ("DNS", &[500, 501, 4000, 4004, 4007, 4016]),
        ("Microsoft-Windows-HttpEvent", &[15005, 15007]),
        ("HTTP", &[15005, 15007]),
        ("Tcpip", &[4227, 4231]),
        ("Workstation", &[3261]),
        ("Disk", &[7, 11, 51, 153]),
        ("EventLog", &[6011]),
    ];
    for (provider, ids) in want {
        for id in *ids {
            let t = message::template(provider, *id).unwrap_or_else(|| panic!("{provider} {id} has a row"));
            assert!(t.exact, "{provider} {id}");
        }
    }
}
