//! Offline rendering of real Security-log records: Security-Auditing's
//! templates (with their `%%N` parameter strings from msobjs.dll) and
//! Eventlog 1102. The expected texts follow the wording in
//! `data/templates/security.tsv` (sources named there); each record's data
//! lands on the field Event Viewer shows it under.
//!
//! Reads the corpus from `$EVTRIAGE_CORPUS` (skips with a message when unset).

use std::path::PathBuf;

use evtriage_core::message;
use evtriage_core::{Collect, DataItem, Event, Locator, Origin, Reader};
use evtriage_testutil::corpus;

fn events(path: &PathBuf) -> Vec<Event> {
    let mut sink = Collect::default();
    Reader::default().read_paths(std::slice::from_ref(path), &mut sink);
    sink.events().cloned().collect()
}

/// The rendered message of record `rid` of corpus file `file`, or `None`
/// when the corpus is not available.
fn rendered(file: &str, rid: u64) -> Option<String> {
    let p = corpus(file)?;
    let events = events(&p);
    let e = events.iter().find(|e| e.record_id == Some(rid)).unwrap_or_else(|| panic!("{file}: record {rid}"));
    Some(message::render(e))
}

/// evtx/evtxattack_samaccount_spoofing_DC_Security.evtx record 2982084 (Microsoft-Windows-Security-Auditing 4624 v2).
const LOGON_4624_V2: &str = "An account was successfully logged on.\n\nSubject:\n\tSecurity ID:\t\tS-1-0-0\n\tAccount Name:\t\t-\n\tAccount Domain:\t\t-\n\tLogon ID:\t\t0x0\n\nLogon Information:\n\tLogon Type:\t\t3\n\tRestricted Admin Mode:\t-\n\tVirtual Account:\t\tNo\n\tElevated Token:\t\tYes\n\nImpersonation Level:\t\tImpersonation\n\nNew Logon:\n\tSecurity ID:\t\tS-1-5-21-308926384-506822093-3341789130-101606\n\tAccount Name:\t\tlgrove\n\tAccount Domain:\t\tTHREEBEESCO.COM\n\tLogon ID:\t\t0x738ae4\n\tLinked Logon ID:\t\t0x0\n\tNetwork Account Name:\t-\n\tNetwork Account Domain:\t-\n\tLogon GUID:\t\t{dced4ba6-cf24-37ef-0627-b0e4eed7f565}\n\nProcess Information:\n\tProcess ID:\t\t0x0\n\tProcess Name:\t\t-\n\nNetwork Information:\n\tWorkstation Name:\t-\n\tSource Network Address:\t172.16.66.19\n\tSource Port:\t\t50609\n\nDetailed Authentication Information:\n\tLogon Process:\t\tKerberos\n\tAuthentication Package:\tKerberos\n\tTransited Services:\t-\n\tPackage Name (NTLM only):\t-\n\tKey Length:\t\t0\n\nThis event is generated when a logon session is created. It is generated on the computer that was accessed.\n\nThe subject fields indicate the account on the local system which requested the logon. This is most commonly a service such as the Server service, or a local process such as Winlogon.exe or Services.exe.\n\nThe logon type field indicates the kind of logon that occurred. The most common types are 2 (interactive) and 3 (network).\n\nThe New Logon fields indicate the account for whom the new logon was created, i.e. the account that was logged on.\n\nThe network fields indicate where a remote logon request originated. Workstation name is not always available and may be left blank in some cases.\n\nThe impersonation level field indicates the extent to which a process in the logon session can impersonate.\n\nThe authentication information fields provide detailed information about this specific logon request.\n\t- Logon GUID is a unique identifier that can be used to correlate this event with a KDC event.\n\t- Transited services indicate which intermediate services have participated in this logon request.\n\t- Package name indicates which sub-protocol was used among the NTLM protocols.\n\t- Key length indicates the length of the generated session key. This will be 0 if no session key was requested.";

/// evtx/omerbenamram_security.evtx record 2 (Microsoft-Windows-Security-Auditing 4624 v0).
const LOGON_4624_V0: &str = "An account was successfully logged on.\n\nSubject:\n\tSecurity ID:\t\tS-1-0-0\n\tAccount Name:\t\t-\n\tAccount Domain:\t\t-\n\tLogon ID:\t\t0x0\n\nLogon Type:\t\t\t0\n\nNew Logon:\n\tSecurity ID:\t\tS-1-5-18\n\tAccount Name:\t\tSYSTEM\n\tAccount Domain:\t\tNT AUTHORITY\n\tLogon ID:\t\t0x3e7\n\tLogon GUID:\t\t{00000000-0000-0000-0000-000000000000}\n\nProcess Information:\n\tProcess ID:\t\t0x4\n\tProcess Name:\t\t\n\nNetwork Information:\n\tWorkstation Name:\t-\n\tSource Network Address:\t-\n\tSource Port:\t\t-\n\nDetailed Authentication Information:\n\tLogon Process:\t\t-\n\tAuthentication Package:\t-\n\tTransited Services:\t-\n\tPackage Name (NTLM only):\t-\n\tKey Length:\t\t0\n\nThis event is generated when a logon session is created. It is generated on the computer that was accessed.\n\nThe subject fields indicate the account on the local system which requested the logon. This is most commonly a service such as the Server service, or a local process such as Winlogon.exe or Services.exe.\n\nThe logon type field indicates the kind of logon that occurred. The most common types are 2 (interactive) and 3 (network).\n\nThe New Logon fields indicate the account for whom the new logon was created, i.e. the account that was logged on.\n\nThe network fields indicate where a remote logon request originated. Workstation name is not always available and may be left blank in some cases.\n\nThe impersonation level field indicates the extent to which a process in the logon session can impersonate.\n\nThe authentication information fields provide detailed information about this specific logon request.\n\t- Logon GUID is a unique identifier that can be used to correlate this event with a KDC event.\n\t- Transited services indicate which intermediate services have participated in this logon request.\n\t- Package name indicates which sub-protocol was used among the NTLM protocols.\n\t- Key length indicates the length of the generated session key. This will be 0 if no session key was requested.";

/// evtx/gbzrlk021_Security.evtx record 1421 (Microsoft-Windows-Security-Auditing 4625 v0).
const FAILED_4625: &str = "An account failed to log on.\n\nSubject:\n\tSecurity ID:\t\tS-1-5-21-1501446259-1985662698-604358387-1001\n\tAccount Name:\t\tAdministrador\n\tAccount Domain:\t\tDESKTOP-EDJ9VF6\n\tLogon ID:\t\t0x8b09f\n\nLogon Type:\t\t\t2\n\nAccount For Which Logon Failed:\n\tSecurity ID:\t\tS-1-0-0\n\tAccount Name:\t\tAdministrador\n\tAccount Domain:\t\tDESKTOP-EDJ9VF6\n\nFailure Information:\n\tFailure Reason:\t\tUnknown user name or bad password.\n\tStatus:\t\t\t0xc000006e\n\tSub Status:\t\t0xc000006e\n\nProcess Information:\n\tCaller Process ID:\t0xfe4\n\tCaller Process Name:\tC:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe\n\nNetwork Information:\n\tWorkstation Name:\tDESKTOP-EDJ9VF6\n\tSource Network Address:\t-\n\tSource Port:\t\t-\n\nDetailed Authentication Information:\n\tLogon Process:\t\tAdvapi  \n\tAuthentication Package:\tNegotiate\n\tTransited Services:\t-\n\tPackage Name (NTLM only):\t-\n\tKey Length:\t\t0\n\nThis event is generated when a logon request fails. It is generated on the computer where access was attempted.\n\nThe Subject fields indicate the account on the local system which requested the logon. This is most commonly a service such as the Server service, or a local process such as Winlogon.exe or Services.exe.\n\nThe Logon Type field indicates the kind of logon that was requested. The most common types are 2 (interactive) and 3 (network).\n\nThe Process Information fields indicate which account and process on the system requested the logon.\n\nThe Network Information fields indicate where a remote logon request originated. Workstation name is not always available and may be left blank in some cases.\n\nThe authentication information fields provide detailed information about this specific logon request.\n\t- Transited services indicate which intermediate services have participated in this logon request.\n\t- Package name indicates which sub-protocol was used among the NTLM protocols.\n\t- Key length indicates the length of the generated session key. This will be 0 if no session key was requested.";

/// evtx/gbzrlk021_Security.evtx record 1 (Microsoft-Windows-Security-Auditing 4688 v2).
const PROCESS_4688: &str = "A new process has been created.\n\nCreator Subject:\n\tSecurity ID:\t\tS-1-5-18\n\tAccount Name:\t\t-\n\tAccount Domain:\t\t-\n\tLogon ID:\t\t0x3e7\n\nTarget Subject:\n\tSecurity ID:\t\tS-1-0-0\n\tAccount Name:\t\t-\n\tAccount Domain:\t\t-\n\tLogon ID:\t\t0x0\n\nProcess Information:\n\tNew Process ID:\t\t0x7c\n\tNew Process Name:\tRegistry\n\tToken Elevation Type:\tTokenElevationTypeDefault (1)\n\tMandatory Label:\t\tS-1-16-16384\n\tCreator Process ID:\t0x4\n\tCreator Process Name:\t\n\tProcess Command Line:\t\n\nToken Elevation Type indicates the type of token that was assigned to the new process in accordance with User Account Control policy.\n\nType 1 is a full token with no privileges removed or groups disabled.  A full token is only used if User Account Control is disabled or if the user is the built-in Administrator account or a service account.\n\nType 2 is an elevated token with no privileges removed or groups disabled.  An elevated token is used when User Account Control is enabled and the user chooses to start the program using Run as administrator.  An elevated token is also used when an application is configured to always require administrative privilege or to always require maximum privilege, and the user is a member of the Administrators group.\n\nType 3 is a limited token with administrative privileges removed and administrative groups disabled.  The limited token is used when User Account Control is enabled, the application does not require administrative privilege, and the user does not choose to start the program using Run as administrator.";

/// evtx/gbzrlk021_Security.evtx record 50 (Microsoft-Windows-Security-Auditing 4672 v0).
const SPECIAL_4672: &str = "Special privileges assigned to new logon.\n\nSubject:\n\tSecurity ID:\t\tS-1-5-18\n\tAccount Name:\t\tSYSTEM\n\tAccount Domain:\t\tNT AUTHORITY\n\tLogon ID:\t\t0x3e7\n\nPrivileges:\t\tSeAssignPrimaryTokenPrivilege\r\n\t\t\tSeTcbPrivilege\r\n\t\t\tSeSecurityPrivilege\r\n\t\t\tSeTakeOwnershipPrivilege\r\n\t\t\tSeLoadDriverPrivilege\r\n\t\t\tSeBackupPrivilege\r\n\t\t\tSeRestorePrivilege\r\n\t\t\tSeDebugPrivilege\r\n\t\t\tSeAuditPrivilege\r\n\t\t\tSeSystemEnvironmentPrivilege\r\n\t\t\tSeImpersonatePrivilege\r\n\t\t\tSeDelegateSessionUserImpersonatePrivilege";

/// evtx/gbzrlk021_Security.evtx record 45 (Microsoft-Windows-Security-Auditing 4720 v0).
const USER_CREATED_4720: &str = "A user account was created.\n\nSubject:\n\tSecurity ID:\t\tS-1-5-18\n\tAccount Name:\t\tMINWINPC$\n\tAccount Domain:\t\t\n\tLogon ID:\t\t0x3e7\n\nNew Account:\n\tSecurity ID:\t\tS-1-5-21-1501446259-1985662698-604358387-504\n\tAccount Name:\t\tWDAGUtilityAccount\n\tAccount Domain:\t\tMINWINPC\n\nAttributes:\n\tSAM Account Name:\tWDAGUtilityAccount\n\tDisplay Name:\t\t<value not set>\n\tUser Principal Name:\t-\n\tHome Directory:\t\t<value not set>\n\tHome Drive:\t\t<value not set>\n\tScript Path:\t\t<value not set>\n\tProfile Path:\t\t<value not set>\n\tUser Workstations:\t<value not set>\n\tPassword Last Set:\t<never>\n\tAccount Expires:\t\t<never>\n\tPrimary Group ID:\t513\n\tAllowed To Delegate To:\t-\n\tOld UAC Value:\t\t0x0\n\tNew UAC Value:\t\t0x15\n\tUser Account Control:\t\r\n\t\tAccount Disabled\r\n\t\t'Password Not Required' - Enabled\r\n\t\t'Normal Account' - Enabled\n\tUser Parameters:\t<value not set>\n\tSID History:\t\t-\n\tLogon Hours:\t\tAll\n\nAdditional Information:\n\tPrivileges\t\t-";

/// evtx/gbzrlk021_Security.evtx record 35 (Microsoft-Windows-Security-Auditing 4732 v0).
const MEMBER_ADDED_4732: &str = "A member was added to a security-enabled local group.\n\nSubject:\n\tSecurity ID:\t\tS-1-5-18\n\tAccount Name:\t\tMINWINPC$\n\tAccount Domain:\t\t\n\tLogon ID:\t\t0x3e7\n\nMember:\n\tSecurity ID:\t\tS-1-5-17\n\tAccount Name:\t\t-\n\nGroup:\n\tSecurity ID:\t\tS-1-5-32-568\n\tGroup Name:\t\tIIS_IUSRS\n\tGroup Domain:\t\tBuiltin\n\nAdditional Information:\n\tPrivileges:\t\t-";

/// evtx/evtxattack_samaccount_spoofing_DC_Security.evtx record 2982082 (Microsoft-Windows-Security-Auditing 4768 v0).
const TGT_4768: &str = "A Kerberos authentication ticket (TGT) was requested.\n\nAccount Information:\n\tAccount Name:\t\tlgrove\n\tSupplied Realm Name:\tthreebeesco.com\n\tUser ID:\t\t\tS-1-5-21-308926384-506822093-3341789130-101606\n\nService Information:\n\tService Name:\t\tkrbtgt\n\tService ID:\t\tS-1-5-21-308926384-506822093-3341789130-502\n\nNetwork Information:\n\tClient Address:\t\t::ffff:172.16.66.19\n\tClient Port:\t\t50611\n\nAdditional Information:\n\tTicket Options:\t\t0x40810010\n\tResult Code:\t\t0x0\n\tTicket Encryption Type:\t0x12\n\tPre-Authentication Type:\t2\n\nCertificate Information:\n\tCertificate Issuer Name:\t\t\n\tCertificate Serial Number:\t\n\tCertificate Thumbprint:\t\t\n\nCertificate information is only provided if a certificate was used for pre-authentication.\n\nPre-authentication types, ticket options, encryption types and result codes are defined in RFC 4120.";

/// evtx/evtxattack_samaccount_spoofing_DC_Security.evtx record 2982083 (Microsoft-Windows-Security-Auditing 4769 v0).
const SERVICE_TICKET_4769: &str = "A Kerberos service ticket was requested.\n\nAccount Information:\n\tAccount Name:\t\tlgrove@THREEBEESCO.COM\n\tAccount Domain:\t\tTHREEBEESCO.COM\n\tLogon GUID:\t\t{58adc6c7-668e-a999-c52a-384b1cb8e553}\n\nService Information:\n\tService Name:\t\t01566S-WIN16-IR$\n\tService ID:\t\tS-1-5-21-308926384-506822093-3341789130-35103\n\nNetwork Information:\n\tClient Address:\t\t::ffff:172.16.66.19\n\tClient Port:\t\t50612\n\nAdditional Information:\n\tTicket Options:\t\t0x40810000\n\tTicket Encryption Type:\t0x12\n\tFailure Code:\t\t0x0\n\tTransited Services:\t-\n\nThis event is generated every time access is requested to a resource such as a computer or a Windows service.  The service name indicates the resource to which access was requested.\n\nThis event can be correlated with Windows logon events by comparing the Logon GUID fields in each event.  The logon event occurs on the machine that was accessed, which is often a different machine than the domain controller which issued the service ticket.\n\nTicket options, encryption types, and failure codes are defined in RFC 4120.";

/// evtx-more/mdecrevoisier_EVTX-to-MITRE-Attack__TA0006-Credential_Access__T1110.xxx-Brut_force__ID4771-Kerberos_brutforce_with_valid_user.evtx record 232256504 (Microsoft-Windows-Security-Auditing 4771 v0).
const PREAUTH_FAILED_4771: &str = "Kerberos pre-authentication failed.\n\nAccount Information:\n\tSecurity ID:\t\tS-1-5-21-4230534742-2542757381-3142984815-1147\n\tAccount Name:\t\tadmin-hacker\n\nService Information:\n\tService Name:\t\tkrbtgt/OFFSEC.LAN\n\nNetwork Information:\n\tClient Address:\t\t::ffff:10.23.123.11\n\tClient Port:\t\t47506\n\nAdditional Information:\n\tTicket Options:\t\t0x50800000\n\tFailure Code:\t\t0x18\n\tPre-Authentication Type:\t2\n\nCertificate Information:\n\tCertificate Issuer Name:\t\t\n\tCertificate Serial Number: \t\n\tCertificate Thumbprint:\t\t\n\nCertificate information is only provided if a certificate was used for pre-authentication.\n\nPre-authentication types, ticket options and failure codes are defined in RFC 4120.\n\nIf the ticket was malformed or damaged during transit and could not be decrypted, then many fields in this event might not be present.";

/// evtx-more/sbousseaden_EVTX-ATTACK-SAMPLES__Credential_Access__remote_sam_registry_access_via_backup_operator_priv.evtx record 2988527 (Microsoft-Windows-Security-Auditing 4776 v0).
const VALIDATE_4776: &str = "The computer attempted to validate the credentials for an account.\n\nAuthentication Package:\tMICROSOFT_AUTHENTICATION_PACKAGE_V1_0\nLogon Account:\tsamir\nSource Workstation:\t02694W-WIN10\nError Code:\t0x0";

/// evtx/evtxattack_samaccount_spoofing_DC_Security.evtx record 2982081 (Microsoft-Windows-Eventlog 1102 v0).
const CLEARED_1102: &str = "The audit log was cleared.\nSubject:\n\tSecurity ID:\tS-1-5-21-308926384-506822093-3341789130-1106\n\tAccount Name:\ta-jbrown\n\tDomain Name:\t3B\n\tLogon ID:\t0x364f7";

#[test]
fn logon_4624_version_2_with_parameter_strings() {
    let Some(m) = rendered("evtx/evtxattack_samaccount_spoofing_DC_Security.evtx", 2982084) else { return };
    assert_eq!(m, LOGON_4624_V2);
    // %%1833, %%1843, %%1842 are msobjs.dll's "Impersonation", "No", "Yes".
    assert!(m.contains("\tVirtual Account:\t\tNo\n\tElevated Token:\t\tYes\n\nImpersonation Level:\t\tImpersonation\n"));
    assert!(!m.contains("%%"));
}

#[test]
fn logon_4624_version_0_takes_its_own_row() {
    let Some(m) = rendered("evtx/omerbenamram_security.evtx", 2) else { return };
    assert_eq!(m, LOGON_4624_V0);
    assert!(!m.contains("Impersonation Level") && !m.contains("%{"));
}

#[test]
fn failed_logon_4625_failure_reason_is_text() {
    let Some(m) = rendered("evtx/gbzrlk021_Security.evtx", 1421) else { return };
    assert_eq!(m, FAILED_4625);
    // %%2313 = "Unknown user name or bad password." (not Win32 error 2313).
    assert!(m.contains("\tFailure Reason:\t\tUnknown user name or bad password.\n"));
}

#[test]
fn process_4688_token_elevation_type_is_text() {
    let Some(m) = rendered("evtx/gbzrlk021_Security.evtx", 1) else { return };
    assert_eq!(m, PROCESS_4688);
    assert!(m.contains("\tToken Elevation Type:\tTokenElevationTypeDefault (1)\n"));
}

#[test]
fn special_logon_4672() {
    let Some(m) = rendered("evtx/gbzrlk021_Security.evtx", 50) else { return };
    assert_eq!(m, SPECIAL_4672);
}

#[test]
fn account_management_4720_4732() {
    let Some(m) = rendered("evtx/gbzrlk021_Security.evtx", 45) else { return };
    assert_eq!(m, USER_CREATED_4720);
    // %%1793 = "<value not set>", %%1794 = "<never>".
    assert!(m.contains("\tHome Directory:\t\t<value not set>\n") && m.contains("\tAccount Expires:\t\t<never>\n"));
    let Some(m) = rendered("evtx/gbzrlk021_Security.evtx", 35) else { return };
    assert_eq!(m, MEMBER_ADDED_4732);
}

#[test]
fn kerberos_and_ntlm_4768_4769_4771_4776() {
    let dc = "evtx/evtxattack_samaccount_spoofing_DC_Security.evtx";
    let Some(m) = rendered(dc, 2982082) else { return };
    assert_eq!(m, TGT_4768);
    let Some(m) = rendered(dc, 2982083) else { return };
    assert_eq!(m, SERVICE_TICKET_4769);
    let Some(m) = rendered(
        "evtx-more/mdecrevoisier_EVTX-to-MITRE-Attack__TA0006-Credential_Access__T1110.xxx-Brut_force__ID4771-Kerberos_brutforce_with_valid_user.evtx",
        232256504,
    ) else {
        return;
    };
    assert_eq!(m, PREAUTH_FAILED_4771);
    let Some(m) = rendered(
        "evtx-more/sbousseaden_EVTX-ATTACK-SAMPLES__Credential_Access__remote_sam_registry_access_via_backup_operator_priv.evtx",
        2988527,
    ) else {
        return;
    };
    assert_eq!(m, VALIDATE_4776);
}

#[test]
fn audit_log_cleared_1102() {
    let Some(m) = rendered("evtx/evtxattack_samaccount_spoofing_DC_Security.evtx", 2982081) else { return };
    assert_eq!(m, CLEARED_1102);
}

fn event(provider: &str, id: u32, data: &[(&str, &str)]) -> Event {
    let mut e = Event::new(Some(provider.to_string()), id, Origin::new("test.evtx".into(), Locator::File));
    e.data = data.iter().map(|(n, v)| DataItem::named(*n, *v)).collect();
    e
}

#[test]
fn unknown_parameter_codes_stay_as_written() {
    assert_eq!(message::security_parameter(1833), Some("Impersonation"));
    assert_eq!(message::security_parameter(4416), Some("ReadData (or ListDirectory)"));
    assert_eq!(message::security_parameter(99999), None);
    assert_eq!(message::insertion_rule("microsoft-windows-security-auditing"), message::InsertionRule::SecurityAudit);
    assert_eq!(message::insertion_rule("Microsoft-Windows-GroupPolicy"), message::InsertionRule::Verbatim);
    // No template for 4999: the fallback shows the text of known codes only,
    // and a multi-valued access list keeps its separators.
    let e = event(
        "Microsoft-Windows-Security-Auditing",
        4999,
        &[("Known", "%%1842"), ("Unknown", "%%99999"), ("AccessList", "%%1538\r\n\t\t\t\t%%4416\r\n\t\t\t\t")],
    );
    assert_eq!(
        message::render(&e),
        "Microsoft-Windows-Security-Auditing 4999 | Known=%%1842 (Yes) | Unknown=%%99999 | AccessList=%%1538\r\n\t\t\t\t%%4416\r\n\t\t\t\t (READ_CONTROL\r\n\t\t\t\tReadData (or ListDirectory))"
    );
    // In a template: 4672's PrivilegeList has no %%, 4624's unknown code stays.
    let e = event("Microsoft-Windows-Security-Auditing", 4624, &[("ImpersonationLevel", "%%1899")]);
    assert!(message::render(&e).contains("Impersonation Level:\t\t%%1899\n"));
}
